import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { openRecordBatches } from '../../data/arrow-source.js';
import { writeArrowFile } from '../../data/arrow-sink.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { scoreModel } from '../../downstream/scoring/score-model.js';
import { initBackend } from '../../encoders/backend.js';
import { runPipelineLocally } from '../local-runner.js';
import { parsePipelineConfig, type PipelineConfig } from '../pipeline-config.js';
import { stageDir } from '../stage.js';
import { planPipeline, stepLabel } from '../steps.js';
import { scoredPipelineConfig } from '../testing/scored-pipeline.js';
import { FEATURES_FILE } from './features-stage.js';
import { PREDICTIONS_FILE } from './score-stage.js';

let root: string;
let config: PipelineConfig;

async function readArrow(path: string): Promise<Table> {
  return tableFromIPC(await readFile(path));
}

/** Every column of a table as plain values, by name. */
function columnsOf(table: Table): Record<string, unknown[]> {
  return Object.fromEntries(table.schema.fields.map((f) => [f.name, Array.from(table.getChild(f.name)!.toArray() as ArrayLike<unknown>)]));
}

describe('fit and score stages', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-score-stage-'));
    await generateTransactions({ out: join(root, 'data'), clients: 300, minEvents: 10, maxEvents: 30, seed: 3 });
    config = scoredPipelineConfig('scored', 'data/transactions.arrow', root);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('are planned only when configured, after compare', () => {
    const { fit: _fit, score: _score, ...plain } = config;
    assert.deepEqual(planPipeline(plain).map(stepLabel), ['ingest', 'features', 'train', 'embed-shard 1/2', 'embed-shard 2/2', 'embed', 'compare']);
    assert.deepEqual(planPipeline(config).map(stepLabel).slice(-3), ['compare', 'fit', 'score']);
  });

  it('write predictions keyed by the id column, equal to scoreModel on the same files, and skip when nothing changed', async () => {
    const first = await runPipelineLocally(config);
    const ran = Object.fromEntries(first.map((s) => [stepLabel(s.step), s.outcome.skipped]));
    assert.equal(ran.fit, false);
    assert.equal(ran.score, false);
    // 300 clients: the fit's leaf minimum is lowered, and the step says so (`meles pipeline run` prints it).
    const fitWarnings = (steps: typeof first): readonly string[] | undefined => steps.find((s) => s.step.kind === 'fit')?.outcome.warnings;
    assert.match(fitWarnings(first)?.join('\n') ?? '', /min_data_in_leaf lowered from 50/);

    const predictions = await readArrow(join(stageDir(config.out, 'score'), PREDICTIONS_FILE));
    assert.equal(predictions.schema.fields[0]?.name, SYNTHETIC_SCHEMA.id);
    assert.equal(predictions.numRows, 300);

    // What `meles score` computes from the fit directory and the same inputs (the embed parts merged by hand).
    const embeddings = join(root, 'embeddings.arrow');
    const embedDir = stageDir(config.out, 'embed');
    await writeArrowFile(embeddings, (async function* () {
      for (const part of ['part-00000.arrow', 'part-00001.arrow']) yield* openRecordBatches(join(embedDir, part));
    })());
    const direct = join(root, 'direct.arrow');
    await scoreModel({ model: stageDir(config.out, 'fit'), features: [join(stageDir(config.out, 'features'), FEATURES_FILE), embeddings], out: direct });
    assert.deepEqual(columnsOf(predictions), columnsOf(await readArrow(direct)));

    const second = await runPipelineLocally(config);
    assert.ok(second.every((s) => s.outcome.skipped), second.filter((s) => !s.outcome.skipped).map((s) => stepLabel(s.step)).join(', '));
    assert.deepEqual(fitWarnings(second), fitWarnings(first), 'a skipped fit reads its warnings back from the manifest');

    // The same model named as a directory (as another pipeline would): a new key, the same predictions.
    const byDir: PipelineConfig = { ...config, score: { model: stageDir(config.out, 'fit'), sets: ['features', 'embed'] } };
    const third = await runPipelineLocally(byDir);
    assert.equal(third.find((s) => s.step.kind === 'score')?.outcome.skipped, false);
    assert.deepEqual(columnsOf(await readArrow(join(stageDir(config.out, 'score'), PREDICTIONS_FILE))), columnsOf(predictions));
  });

  it('refuse a fit target outside targets.columns and a score of a missing fit or with other sets', () => {
    const base = { name: 'bad', data: 'd.arrow', schema: { ...SYNTHETIC_SCHEMA }, out: 'o', targets: { path: 't.arrow', columns: [{ name: 'gender', kind: 'binary' }] } };
    assert.throws(() => parsePipelineConfig({ ...base, fit: { target: 'age_group' } }, 'test', root), /fit\.target: `age_group` is not one of/);
    assert.throws(() => parsePipelineConfig({ ...base, score: { model: 'fit' } }, 'test', root), /score\.model: .*has no `fit`/);
    assert.throws(() => parsePipelineConfig({ ...base, fit: { target: 'gender' }, score: { model: 'fit', sets: ['embed'] } }, 'test', root), /score\.sets: must be the fit's sets/);
    assert.throws(() => parsePipelineConfig({ ...base, fit: { target: 'gender', sets: ['embed', 'embed'] } }, 'test', root), /name a set twice/);
  });
});
