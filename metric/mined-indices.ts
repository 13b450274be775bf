/**
 * What miners return and losses consume: index tuples into the batch, as in
 * pytorch-metric-learning. Pairs are `(a1[i], p[i])` positives and `(a2[j], n[j])` negatives (the
 * two lists may differ in length); triplets are `(a[t], p[t], n[t])`.
 */
import { ShapeError } from '../errors.js';

/** Mined pairs or triplets (Int32Array indices into the batch rows). */
export type MinedIndices =
  | { readonly kind: 'pairs'; readonly a1: Int32Array; readonly p: Int32Array; readonly a2: Int32Array; readonly n: Int32Array }
  | { readonly kind: 'triplets'; readonly a: Int32Array; readonly p: Int32Array; readonly n: Int32Array };

/** Mined pairs only. */
export type MinedPairs = Extract<MinedIndices, { kind: 'pairs' }>;
/** Mined triplets only. */
export type MinedTriplets = Extract<MinedIndices, { kind: 'triplets' }>;

/**
 * Every positive and negative pair. `ordered` gives both (i, j) and (j, i) for i ≠ j (PML);
 * otherwise only i < j (pytorch-lifestream's `AllPositivePairSelector`).
 */
export function allPairs(labels: Int32Array, ordered = false): MinedPairs {
  const a1: number[] = [];
  const p: number[] = [];
  const a2: number[] = [];
  const n: number[] = [];
  const size = labels.length;
  for (let i = 0; i < size; i++) {
    for (let j = ordered ? 0 : i + 1; j < size; j++) {
      if (i === j) continue;
      if (labels[i] === labels[j]) {
        a1.push(i);
        p.push(j);
      } else {
        a2.push(i);
        n.push(j);
      }
    }
  }
  return { kind: 'pairs', a1: Int32Array.from(a1), p: Int32Array.from(p), a2: Int32Array.from(a2), n: Int32Array.from(n) };
}

/** Every triplet (a, p, n) with label(a) = label(p) ≠ label(n) and a ≠ p. */
export function allTriplets(labels: Int32Array): MinedTriplets {
  const a: number[] = [];
  const p: number[] = [];
  const n: number[] = [];
  const size = labels.length;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      if (i === j || labels[i] !== labels[j]) continue;
      for (let k = 0; k < size; k++) {
        if (labels[k] === labels[i]) continue;
        a.push(i);
        p.push(j);
        n.push(k);
      }
    }
  }
  return { kind: 'triplets', a: Int32Array.from(a), p: Int32Array.from(p), n: Int32Array.from(n) };
}

/** Triplets as pairs `(a, p, a, n)`; a positive pair repeats once per triplet it is in (as PML). */
export function tripletsToPairs(t: MinedTriplets): MinedPairs {
  return { kind: 'pairs', a1: t.a, p: t.p, a2: t.a, n: t.n };
}

/** Pairs as triplets: every positive and negative pair sharing an anchor (as PML). */
export function pairsToTriplets(pairs: MinedPairs): MinedTriplets {
  const negativesOf = new Map<number, number[]>();
  for (let j = 0; j < pairs.a2.length; j++) {
    const list = negativesOf.get(pairs.a2[j]!);
    if (list === undefined) negativesOf.set(pairs.a2[j]!, [pairs.n[j]!]);
    else list.push(pairs.n[j]!);
  }
  const a: number[] = [];
  const p: number[] = [];
  const n: number[] = [];
  for (let i = 0; i < pairs.a1.length; i++) {
    for (const neg of negativesOf.get(pairs.a1[i]!) ?? []) {
      a.push(pairs.a1[i]!);
      p.push(pairs.p[i]!);
      n.push(neg);
    }
  }
  return { kind: 'triplets', a: Int32Array.from(a), p: Int32Array.from(p), n: Int32Array.from(n) };
}

/** The mined indices as pairs (triplets are converted). */
export function asPairs(mined: MinedIndices): MinedPairs {
  return mined.kind === 'pairs' ? mined : tripletsToPairs(mined);
}

/** The mined indices as triplets (pairs are converted). */
export function asTriplets(mined: MinedIndices): MinedTriplets {
  return mined.kind === 'triplets' ? mined : pairsToTriplets(mined);
}

/** Throws {@link ShapeError} unless all index lists fit a batch of `size` rows and pair up. */
export function checkMinedIndices(mined: MinedIndices, size: number): void {
  const lists: [string, Int32Array][] =
    mined.kind === 'pairs'
      ? [['a1', mined.a1], ['p', mined.p], ['a2', mined.a2], ['n', mined.n]]
      : [['a', mined.a], ['p', mined.p], ['n', mined.n]];
  const [first, second, third, fourth] = lists;
  if (mined.kind === 'pairs' && (first![1].length !== second![1].length || third![1].length !== fourth![1].length)) {
    throw new ShapeError(`mined pairs: a1/p lengths ${first![1].length}/${second![1].length}, a2/n lengths ${third![1].length}/${fourth![1].length}; each pair of lists must match`);
  }
  if (mined.kind === 'triplets' && (first![1].length !== second![1].length || first![1].length !== third![1].length)) {
    throw new ShapeError(`mined triplets: a/p/n lengths ${first![1].length}/${second![1].length}/${third![1].length} must match`);
  }
  for (const [name, list] of lists) {
    for (const index of list) {
      if (index < 0 || index >= size) throw new ShapeError(`mined index \`${name}\` = ${index} is outside 0..${size - 1}`);
    }
  }
}
