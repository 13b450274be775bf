/**
 * The fit stage carries `fitModel`'s warnings (what `meles fit` prints) into its result, its
 * manifest and its progress, so a pipeline user sees e.g. a leaf minimum lowered for a small
 * training set; a skipped run reads them back from the manifest. Real stages, real LightGBM.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { fitModel } from '../../downstream/scoring/fit-model.js';
import { readManifest } from '../manifest.js';
import { runStage } from '../run-stage.js';
import { stageDir, type StageProgress } from '../stage.js';
import { FEATURES_FILE, featuresStage } from './features-stage.js';
import { fitStage, type FitParams } from './fit-stage.js';
import { ingestStage } from './ingest-stage.js';

let root: string;
let outRoot: string;
let params: FitParams;

describe('fit stage warnings', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-fit-stage-'));
    // 60 labelled clients: binary bags half of them, so the leaf minimum is capped at floor(30 / 10) = 3.
    const data = await generateTransactions({ out: join(root, 'data'), clients: 60, minEvents: 5, maxEvents: 12, seed: 7 });
    outRoot = join(root, 'out');
    const stageData = { data: data.transactionsPath, schema: { ...SYNTHETIC_SCHEMA } };
    await runStage(ingestStage, stageData, { outRoot });
    await runStage(featuresStage, stageData, { outRoot });
    params = { targetsPath: data.targetsPath, idColumn: SYNTHETIC_SCHEMA.id, target: { name: 'gender', kind: 'binary' }, sets: ['features'], trees: 5 };
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a leaf minimum lowered for 60 clients is in the result, the manifest and the progress, as `meles fit` words it', async () => {
    const progress: StageProgress[] = [];
    const outcome = await runStage(fitStage, params, { outRoot, onProgress: (p) => progress.push(p) });
    assert.equal(outcome.skipped, false);
    const { result } = outcome;
    assert.equal(result.rows, 60);
    assert.deepEqual(result.leafMinimum, { from: 50, to: 3, trainRows: 60 });
    const lowered = /^target `gender`: LightGBM min_data_in_leaf lowered from 50 to 3 \(60 training rows; at most 1\/10 of the rows a tree is grown on/;
    assert.equal(result.warnings.filter((w) => lowered.test(w)).length, 1, result.warnings.join('\n'));

    // The same warnings as fitModel on the same files (what `meles fit` prints).
    const direct = await fitModel({
      features: [join(stageDir(outRoot, 'features'), FEATURES_FILE)], targets: params.targetsPath, idColumn: params.idColumn,
      target: { column: 'gender', kind: 'binary' }, out: join(root, 'direct'), trees: 5,
    });
    assert.deepEqual(result.warnings, direct.warnings);

    assert.deepEqual((await readManifest(stageDir(outRoot, 'fit')))?.result, result, 'the manifest holds the warnings');
    const said = progress.map((p) => p.message ?? '');
    for (const w of result.warnings) assert.ok(said.includes(`warning: ${w}`), said.join('\n'));
  });

  it('a skipped run reports the same warnings, read back from its manifest', async () => {
    const first = await runStage(fitStage, params, { outRoot });
    const again = await runStage(fitStage, params, { outRoot });
    assert.equal(again.skipped, true);
    assert.deepEqual(again.result, first.result);
    assert.ok(again.result.warnings.some((w) => /min_data_in_leaf lowered from 50 to 3/.test(w)), again.result.warnings.join('\n'));
  });
});
