/**
 * A pipeline over a partitioned dataset, in-process: embed and features run per partition (no
 * shard steps) into a partitioned output per stage, equal to `meles embed`/`features` over the
 * same partitions (the same partition-task code), and compare, fit and score read those outputs
 * like one file. A complete output left by queued partition jobs in the stage's scratch directory
 * is taken over instead of computed again.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { partitionDataset } from '../../data/partition.js';
import { OUTPUT_MANIFEST, type PartitionedOutputManifest } from '../../data/partitioned-output.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { readModelArtefact } from '../../downstream/scoring/model-artefact.js';
import { initBackend } from '../../encoders/backend.js';
import { runPipelineLocally } from '../local-runner.js';
import { readManifest } from '../manifest.js';
import type { PipelineConfig } from '../pipeline-config.js';
import { planPartitionRun, runPartitionsLocally } from '../queue/partition-task.js';
import { embedPartitionsParams, runStep } from '../run-step.js';
import { stageKey } from '../run-stage.js';
import { stageDir } from '../stage.js';
import { planPipeline, stepLabel } from '../steps.js';
import { scoredPipelineConfig } from '../testing/scored-pipeline.js';
import { embedPartitionTask, featuresPartitionsStage, featuresPartitionTask, partitionScratchDir, PARTS_DIR } from './partitioned-stages.js';
import { PREDICTIONS_FILE } from './score-stage.js';

const CLIENTS = 150;
const PARTITIONS = 3;
let root: string;
let config: PipelineConfig;

const outputManifest = async (dir: string): Promise<PartitionedOutputManifest> => JSON.parse(await readFile(join(dir, OUTPUT_MANIFEST), 'utf8')) as PartitionedOutputManifest;

describe('a pipeline over a partitioned dataset', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-partitioned-pipeline-'));
    const generated = await generateTransactions({ out: join(root, 'data'), clients: CLIENTS, minEvents: 10, maxEvents: 30, seed: 8 });
    await partitionDataset({ data: generated.transactionsPath, mapping: SYNTHETIC_SCHEMA, out: join(root, 'parts'), partitions: PARTITIONS });
    config = scoredPipelineConfig('parted', 'parts', root);
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('plans no shard steps over partitions; a one-file plan keeps them', () => {
    assert.deepEqual(planPipeline(config, { partitioned: true }).map(stepLabel), ['ingest', 'features', 'train', 'embed', 'compare', 'fit', 'score']);
    assert.deepEqual(planPipeline(config).map(stepLabel).slice(3, 6), ['embed-shard 1/2', 'embed-shard 2/2', 'embed']);
  });

  it('embeds and aggregates per partition, equal to the per-partition commands; compare, fit and score read the outputs like one file; a second run skips', { timeout: 240_000 }, async () => {
    const steps = await runPipelineLocally(config);
    assert.deepEqual(steps.map((s) => stepLabel(s.step)), ['ingest', 'features', 'train', 'embed', 'compare', 'fit', 'score']);
    assert.match(steps[3]!.outcome.summary, new RegExp(`^${CLIENTS} clients × 8 in ${PARTITIONS} partitions$`));

    for (const [stage, task, kind] of [
      ['embed', embedPartitionTask(embedPartitionsParams(config), config.out), 'embeddings'],
      ['features', featuresPartitionTask({ data: config.data, schema: config.schema }), 'features'],
    ] as const) {
      const parts = join(stageDir(config.out, stage), PARTS_DIR);
      const manifest = await outputManifest(parts);
      assert.equal(manifest.kind, kind);
      assert.equal(manifest.rows, CLIENTS);
      assert.equal(manifest.parts.length, PARTITIONS);
      // The same parts, byte for byte, as `meles embed`/`features --data parts --out DIR` (the partition-task code).
      const direct = await runPartitionsLocally(await planPartitionRun(`direct-${stage}`, task, [config.data], join(root, `direct-${stage}`)));
      assert.deepEqual(manifest.parts, direct.parts, stage);
      assert.deepEqual(manifest.model, direct.model, stage);
      // The stage manifest beside it lists the parts among the stage's outputs.
      const stageManifest = await readManifest(stageDir(config.out, stage));
      assert.ok(stageManifest?.outputs.some((o) => o.path === `${PARTS_DIR}/part-00000.arrow`), stage);
    }

    const report = JSON.parse(await readFile(join(stageDir(config.out, 'compare'), 'report.json'), 'utf8')) as unknown;
    assert.match(JSON.stringify(report), /"handcrafted"/);
    const fit = await readModelArtefact(stageDir(config.out, 'fit'));
    assert.deepEqual(fit.fit.featureFiles.map((f) => f.path), (['features', 'embed'] as const).map((s) => join(stageDir(config.out, s), PARTS_DIR, OUTPUT_MANIFEST)));
    // Every feature column (id left out) and the 8 embedding columns.
    assert.equal(fit.fit.features.length, (await readColumns(join(stageDir(config.out, 'features'), PARTS_DIR, 'part-00000.arrow'))) - 1 + 8);
    const predictions = tableFromIPC(await readFile(join(stageDir(config.out, 'score'), PREDICTIONS_FILE)));
    assert.equal(predictions.numRows, CLIENTS);
    assert.deepEqual((await readdir(config.out)).filter((n) => n.startsWith('.')), [], 'no scratch or temp directory left');

    const again = await runPipelineLocally(config);
    assert.ok(again.every((s) => s.outcome.skipped), again.filter((s) => !s.outcome.skipped).map((s) => stepLabel(s.step)).join(', '));
  });

  it('takes over a complete output that partition jobs left in the stage scratch directory', { timeout: 120_000 }, async () => {
    const params = { data: config.data, schema: config.schema };
    const { key } = await stageKey(featuresPartitionsStage, params, { outRoot: config.out });
    const scratch = partitionScratchDir(config.out, 'features', key);
    const queued = await runPartitionsLocally(await planPartitionRun('queued-features', featuresPartitionTask(params), [config.data], scratch));
    await rm(stageDir(config.out, 'features'), { recursive: true });
    const outcome = await runStep({ kind: 'features' }, config, { outRoot: config.out });
    assert.equal(outcome.skipped, false);
    const taken = await outputManifest(join(stageDir(config.out, 'features'), PARTS_DIR));
    assert.equal(taken.runId, 'queued-features', 'the queued output, not a recomputed one');
    assert.deepEqual(taken.parts, queued.parts);
    await assert.rejects(readdir(scratch), { code: 'ENOENT' }, 'the scratch directory is removed once taken over');
  });
});

async function readColumns(path: string): Promise<number> {
  return tableFromIPC(await readFile(path)).schema.fields.length;
}
