/**
 * The labelled fraction of the evaluation protocol: how many of each fold's training clients a
 * model may learn from. The subsample is stratified (each class keeps its share, within one
 * client) and seeded per fold, so every row of a comparison (LightGBM on any feature set, neural
 * models through `pipeline/workflows/neural-evaluation.ts`) trains on the same clients. The held
 * fold and the test part are never subsampled: scores stay comparable across fractions.
 */
import { ConfigError } from '../../errors.js';
import { Rng } from '../../data/random.js';

/**
 * Checks a labelled fraction: a finite number in (0, 1].
 * @param where - how the caller names it in messages, e.g. `--label-fraction`. @defaultValue `'labelFraction'`
 * @throws ConfigError naming `where`, the allowed range and the value found.
 */
export function expectLabelFraction(value: unknown, where = 'labelFraction'): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 1) {
    throw new ConfigError(`Expected \`${where}\` to be a number in (0, 1] (the share of each fold's training clients to train on), got ${String(value)}`);
  }
  return value;
}

/**
 * The seed of fold `fold`'s subsample: derived from the protocol seed so that folds draw
 * different clients while the split itself (which uses `seed` directly) is untouched.
 */
export function subsampleSeed(seed: number, fold: number): number {
  return (seed ^ Math.imul(0x9e3779b9, fold + 1)) >>> 0;
}

/**
 * A seeded, stratified subsample of `rows` (indices into `labels`): from each class present,
 * `round(count × fraction)` rows, at least one, so every class the fold saw stays trainable.
 * A fraction of 1 returns all rows without drawing anything.
 * @returns the chosen rows, sorted.
 */
export function stratifiedSubsample(labels: Int32Array, rows: readonly number[], fraction: number, seed: number): number[] {
  expectLabelFraction(fraction);
  // Every row, in the order given: LightGBM's bagging depends on row order, so fraction 1 must train
  // on exactly the rows (and order) the protocol used before fractions existed.
  if (fraction === 1) return [...rows];
  const byClass = new Map<number, number[]>();
  for (const r of rows) {
    const label = labels[r]!;
    const group = byClass.get(label);
    if (group === undefined) byClass.set(label, [r]);
    else group.push(r);
  }
  const rng = new Rng(seed);
  const out: number[] = [];
  // Classes in index order so the draw does not depend on the order rows arrive in.
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const group = byClass.get(label)!.sort((a, b) => a - b);
    rng.shuffle(group);
    out.push(...group.slice(0, Math.min(group.length, Math.max(1, Math.round(group.length * fraction)))));
  }
  return out.sort((a, b) => a - b);
}
