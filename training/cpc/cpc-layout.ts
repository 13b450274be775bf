/**
 * Which packed rows CPC compares, as plain index arrays (no tfjs): for every sorted sequence `i`
 * (one InfoNCE group), its valid (t, k) positions — `t + k < length`, k = 1..K — with the row of the
 * prediction `W_k c_t` and of the target `z_{t+k}`, and the negatives of that sequence.
 *
 * Negatives follow pytorch-lifestream's `CPC_Loss`: one draw per sequence, shared by all its
 * positions and steps, uniform without replacement over real (non-padding) events. One deliberate
 * difference: ptls draws from every event of the batch, including the sequence's own (so the
 * positive itself can come back as a "negative"); here only events of OTHER sequences are
 * candidates. A sequence whose batch has fewer than `negatives` other events uses all of them.
 */
import type { Rng } from '../../data/random.js';
import { type PackedBatch, packedRow, sequenceOfRows } from '../../encoders/packed-batch.js';

/** Index arrays for one CPC loss evaluation; groups are sorted sequences. */
export interface CpcLayout {
  /** Groups (= sequences). */
  readonly groups: number;
  /** Position slots per group (the longest group's count; shorter groups are padded with weight 0). */
  readonly slots: number;
  /** Negative slots per group (the largest group's count; see {@link CpcLayout.negativeCounts}). */
  readonly negativeSlots: number;
  /** Valid (sequence, t, k) positions in the batch. */
  readonly positions: number;
  /** Row of `W_k c_t` in the `[events · K, d]` prediction table (`row(t) · K + k − 1`), `groups · slots`. */
  readonly predictionRows: Int32Array;
  /** Packed row of the target `z_{t+k}`, `groups · slots`. */
  readonly targetRows: Int32Array;
  /** k of each slot (1..K; 0 for padding), `groups · slots`. */
  readonly stepOfSlot: Int32Array;
  /**
   * Weight of each slot: pytorch-lifestream's reduction, the mean over the valid positions of
   * each k, then the mean over the k that have any; 0 for padding. Sums to 1 (or 0 with no positions).
   */
  readonly weights: Float32Array;
  /** Packed rows of each group's negatives, `groups · negativeSlots` (padding repeats row 0). */
  readonly negativeRows: Int32Array;
  /** Real negatives per group (the rest are padding). */
  readonly negativeCounts: Int32Array;
}

/**
 * Builds the layout of `packed` for `steps` (K) forward steps and up to `negatives` negatives per
 * sequence, drawing the negatives from `rng`.
 */
export function cpcLayout(packed: PackedBatch, steps: number, negatives: number, rng: Rng): CpcLayout {
  const { size: groups, sortedLengths, events } = packed;
  const counts = new Int32Array(groups);
  const perStep = new Float64Array(steps + 1);
  for (let i = 0; i < groups; i++) {
    for (let k = 1; k <= steps; k++) {
      const n = Math.max(0, sortedLengths[i]! - k);
      counts[i] += n;
      perStep[k] += n;
    }
  }
  const slots = groups === 0 ? 0 : Math.max(...counts);
  const activeSteps = perStep.filter((n) => n > 0).length;
  const predictionRows = new Int32Array(groups * slots);
  const targetRows = new Int32Array(groups * slots);
  const stepOfSlot = new Int32Array(groups * slots);
  const weights = new Float32Array(groups * slots);
  let positions = 0;
  for (let i = 0; i < groups; i++) {
    let s = i * slots;
    for (let k = 1; k <= steps; k++) {
      for (let t = 0; t + k < sortedLengths[i]!; t++, s++) {
        predictionRows[s] = packedRow(packed, i, t) * steps + k - 1;
        targetRows[s] = packedRow(packed, i, t + k);
        stepOfSlot[s] = k;
        weights[s] = 1 / (perStep[k]! * activeSteps);
        positions++;
      }
    }
  }
  const owner = sequenceOfRows(packed);
  const negativeCounts = Int32Array.from(sortedLengths, (len) => Math.min(negatives, events - len));
  const negativeSlots = groups === 0 ? 0 : Math.max(...negativeCounts);
  const negativeRows = new Int32Array(groups * negativeSlots);
  for (let i = 0; i < groups; i++) {
    const drawn = sampleOtherRows(owner, i, events - sortedLengths[i]!, negativeCounts[i]!, rng);
    negativeRows.set(drawn, i * negativeSlots);
  }
  return { groups, slots, negativeSlots, positions, predictionRows, targetRows, stepOfSlot, weights, negativeRows, negativeCounts };
}

/** `count` distinct rows whose owner is not `self`, uniformly; `pool` = how many such rows exist. */
function sampleOtherRows(owner: Int32Array, self: number, pool: number, count: number, rng: Rng): Int32Array {
  const out = new Int32Array(count);
  if (count === 0) return out;
  if (4 * count > pool || 2 * pool < owner.length) {
    // Dense case (few candidates, or the sequence owns most rows): list the candidates and take a
    // partial Fisher–Yates prefix.
    const candidates = new Int32Array(pool);
    let n = 0;
    for (let r = 0; r < owner.length; r++) if (owner[r] !== self) candidates[n++] = r;
    for (let j = 0; j < count; j++) {
      const pick = j + Math.floor(rng.next() * (pool - j));
      const tmp = candidates[j]!;
      candidates[j] = candidates[pick]!;
      candidates[pick] = tmp;
    }
    out.set(candidates.subarray(0, count));
    return out;
  }
  // Sparse case: rejection sampling without listing the candidates; every draw is accepted with
  // probability >= (pool − count) / rows >= 3/8 here, so it costs O(count), not O(rows).
  const taken = new Set<number>();
  let n = 0;
  while (n < count) {
    const r = Math.floor(rng.next() * owner.length);
    if (owner[r] === self || taken.has(r)) continue;
    taken.add(r);
    out[n++] = r;
  }
  return out;
}
