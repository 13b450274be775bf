/**
 * `meles fit` caps the reference leaf minimum for small training sets exactly as `meles evaluate`
 * does (`paramsFor(…, trainRows)`, lightgbm-defaults.ts), and says so; an explicit
 * `minDataInLeaf` is kept as given. It used the uncapped 50, which leaves no split at all for a
 * few dozen labelled clients (a constant model).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { Rng } from '../../data/random.js';
import { meles } from '../../data/testing/run-meles.js';
import { fitModel } from './fit-model.js';

let dir: string;

/** `n` clients with two features; the binary label `y` follows `x` (with noise). */
async function dataset(n: number): Promise<{ features: string; targets: string }> {
  const rng = new Rng(3);
  const x = Float64Array.from({ length: n }, () => rng.next());
  const z = Float64Array.from({ length: n }, () => rng.next());
  const features = join(dir, `features-${n}.arrow`);
  await writeArrowTable(features, tableFromColumns({ cid: Int32Array.from({ length: n }, (_, i) => i), x, z }));
  const targets = join(dir, `targets-${n}.csv`);
  await writeFile(targets, `cid,y\n${Array.from(x, (v, i) => `${i},${v + 0.2 * rng.next() > 0.6 ? 1 : 0}`).join('\n')}\n`);
  return { features, targets };
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-fit-leaf-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('meles fit: leaf minimum for small training sets', () => {
  it('60 clients: min_data_in_leaf is capped (50 → 3) as in evaluate, in fit.json, in model.txt and in a warning', async () => {
    const { features, targets } = await dataset(60);
    const out = join(dir, 'small');
    const { fit, warnings } = await fitModel({ features: [features], targets, idColumn: 'cid', target: { column: 'y', kind: 'binary' }, out, trees: 5 });
    // Binary bags half the rows: floor(floor(0.5 × 60) / 10) = 3.
    assert.equal(fit.params.minDataInLeaf, 3);
    assert.match(await readFile(join(out, 'model.txt'), 'utf8'), /\[min_data_in_leaf: 3\]/);
    assert.ok(warnings.some((w) => /target `y`: LightGBM min_data_in_leaf lowered from 50 to 3 \(60 training rows; at most 1\/10 of the rows a tree is grown on/.test(w)), warnings.join('\n'));
  });

  it('an explicit minDataInLeaf is kept as given, without a warning', async () => {
    const { features, targets } = await dataset(60);
    const { fit, warnings } = await fitModel({ features: [features], targets, idColumn: 'cid', target: { column: 'y', kind: 'binary' }, out: join(dir, 'explicit'), trees: 5, params: { minDataInLeaf: 50 } });
    assert.equal(fit.params.minDataInLeaf, 50);
    assert.ok(!warnings.some((w) => /min_data_in_leaf/.test(w)), warnings.join('\n'));
  });

  it('1000 clients: the reference 50 is unchanged and nothing is said', async () => {
    const { features, targets } = await dataset(1000);
    const { fit, warnings } = await fitModel({ features: [features], targets, idColumn: 'cid', target: { column: 'y', kind: 'binary' }, out: join(dir, 'large'), trees: 2 });
    assert.equal(fit.params.minDataInLeaf, 50);
    assert.ok(!warnings.some((w) => /min_data_in_leaf/.test(w)), warnings.join('\n'));
  });

  it('the CLI prints the warning and its summary line names the lowered leaf minimum', async () => {
    const { features, targets } = await dataset(60);
    const run = await meles('fit', '--features', features, '--targets', targets, '--id', 'cid', '--target', 'y:binary', '--out', join(dir, 'cli'), '--trees', '5');
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /warning: target `y`: LightGBM min_data_in_leaf lowered from 50 to 3/);
    assert.match(run.stdout, /5 trees, min_data_in_leaf 3 \(lowered from 50 for 60 training rows\)/);
  });
});
