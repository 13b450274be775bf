/**
 * Where each token of a packed batch sits in the padded attention blocks of the Transformer.
 *
 * Token rows: the CLS token of sequence b at row b, packed event r at row B + r. Attention runs
 * on blocks of length-sorted sequences, each padded only to its own longest (CLS + events), so
 * the quadratic work and memory follow the real lengths. This file only builds the integer
 * indices (plain typed arrays, no tensors): the attention ops turn them into tensors inside their
 * own scopes, so nothing has to outlive a forward pass for the backward pass to use it.
 */
import type { PackedBatch } from '../packed-batch.js';

/** Most sequences per attention block. */
export const ATTENTION_BLOCK = 64;

/**
 * Most attention scores (sequences × heads × S²) per block. Scores exist for one block at a time
 * (forward and the recomputing backward of attention.ts), so this bounds the transient attention
 * memory: 8 Mi floats = 32 MB per score-sized tensor, a few of which live while a block runs.
 * At the reference shapes (4 heads, S ≤ 201) a block still holds ~50 sequences.
 */
export const ATTENTION_BLOCK_SCORES = 8 * 2 ** 20;

/** One block of length-sorted sequences. */
export interface AttentionBlockIndex {
  /** Sequences in the block. */
  readonly count: number;
  /** Padded length (CLS + the block's longest sequence). */
  readonly length: number;
  /** For each padded position (`count × length`), its token row; padding points at row 0. */
  readonly pad: Int32Array;
  /** As `pad`, but padding points at row `tokens` (one past the last token: a zero row for gradients). */
  readonly padQuery: Int32Array;
  /** 0 for real keys, -1e9 for padding keys, `count × length` (broadcast as `[count, 1, 1, length]`). */
  readonly keyBias: Float32Array;
}

/** The blocks of one batch and the way back from blocks to token rows. */
export interface AttentionIndex {
  /** Token rows: sequences (CLS rows) + packed events. */
  readonly tokens: number;
  readonly blocks: readonly AttentionBlockIndex[];
  /** For each token row, its position in the blocks concatenated in order. */
  readonly unpad: Int32Array;
}

/**
 * Builds the attention blocks of a packed batch: consecutive sorted sequences, at most
 * {@link ATTENTION_BLOCK} of them and at most `maxScores` scores (fewer sequences for long ones;
 * always at least one).
 * @param heads - attention heads (scores per block = count × heads × length²)
 * @param maxScores - score budget per block; @defaultValue {@link ATTENTION_BLOCK_SCORES}
 */
export function attentionIndex(packed: PackedBatch, heads: number, maxScores: number = ATTENTION_BLOCK_SCORES): AttentionIndex {
  const B = packed.size;
  const tokens = B + packed.events;
  const unpad = new Int32Array(tokens);
  const blocks: AttentionBlockIndex[] = [];
  let base = 0;
  for (let first = 0, count = 0; first < B; first += count) {
    const length = packed.sortedLengths[first]! + 1;
    count = Math.max(1, Math.min(ATTENTION_BLOCK, B - first, Math.floor(maxScores / (heads * length * length))));
    const pad = new Int32Array(count * length);
    const padQuery = new Int32Array(count * length).fill(tokens);
    const keyBias = new Float32Array(count * length).fill(-1e9);
    for (let j = 0; j < count; j++) {
      const i = first + j;
      const row = j * length;
      const place = (position: number, token: number): void => {
        pad[position] = token;
        padQuery[position] = token;
        keyBias[position] = 0;
        unpad[token] = base + position;
      };
      place(row, packed.order[i]!);
      for (let t = 0; t < packed.sortedLengths[i]!; t++) place(row + t + 1, B + packed.offsets[t]! + i);
    }
    blocks.push({ count, length, pad, padQuery, keyBias });
    base += count * length;
  }
  return { tokens, blocks, unpad };
}
