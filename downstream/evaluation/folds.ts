/**
 * Seeded, stratified splits for the evaluation protocol: an isolated test part, then
 * stratified k-fold cross-validation on the rest (sklearn's StratifiedKFold with shuffle, in
 * spirit: every fold gets each class in proportion, folds are disjoint and cover all rows).
 */
import { Rng } from '../../data/random.js';
import { expectInteger, expectNumber } from '../../options.js';
import { ConfigError } from '../../errors.js';

function rowsByClass(labels: Int32Array, rows: readonly number[]): number[][] {
  const byClass: number[][] = [];
  for (const r of rows) (byClass[labels[r]!] ??= []).push(r);
  return byClass.filter((g) => g !== undefined);
}

/**
 * Splits rows `0..labels.length-1` into a stratified test part of about `fraction` of each
 * class and the rest. Both lists come back sorted.
 */
export function isolateTestPart(labels: Int32Array, fraction: number, seed: number): { test: number[]; rest: number[] } {
  expectNumber('testFraction', fraction, 0, 0.9);
  const rng = new Rng(seed);
  const test: number[] = [];
  const rest: number[] = [];
  const all = Array.from({ length: labels.length }, (_, i) => i);
  for (const group of rowsByClass(labels, all)) {
    rng.shuffle(group);
    const take = Math.round(group.length * fraction);
    test.push(...group.slice(0, take));
    rest.push(...group.slice(take));
  }
  return { test: test.sort((a, b) => a - b), rest: rest.sort((a, b) => a - b) };
}

/**
 * Assigns each of `rows` to one of `k` folds, stratified by `labels` and seeded. Each class is
 * shuffled and dealt round-robin; the dealing position carries over from one class to the next,
 * so fold sizes differ by at most one.
 * @returns `folds[f]` = sorted rows of fold f.
 */
export function stratifiedKFold(labels: Int32Array, rows: readonly number[], k: number, seed: number): number[][] {
  expectInteger('folds', k, 2);
  if (rows.length < k) throw new ConfigError(`Cannot split ${rows.length} labelled rows into ${k} folds; need at least ${k}`);
  const rng = new Rng(seed);
  const folds: number[][] = Array.from({ length: k }, () => []);
  let position = 0;
  for (const group of rowsByClass(labels, rows)) {
    rng.shuffle(group);
    for (const r of group) folds[position++ % k]!.push(r);
  }
  return folds.map((f) => f.sort((a, b) => a - b));
}
