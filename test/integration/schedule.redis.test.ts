import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPipelineLocally } from '../../pipeline/local-runner.js';
import { latestModel, publishModel } from '../../pipeline/model-registry.js';
import { readPipelineFile } from '../../pipeline/pipeline-config.js';
import { addSchedule, listSchedules, removeSchedule } from '../../pipeline/queue/schedules.js';
import { startPipelineWorkers } from '../../pipeline/queue/worker-runtime.js';
import { SCHEMA, obliterateAll, redis, uniquePrefix, waitFor, writePipelineFile, writeTransactions } from './helpers.js';

describe('scheduled batch embedding', () => {
  let root: string;
  const prefix = uniquePrefix();
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-sched-'));
  });
  after(async () => {
    await obliterateAll(prefix);
    await rm(root, { recursive: true, force: true });
  });

  it('a seconds-level cron fires twice, writing two dated outputs made with the latest model', { timeout: 150_000 }, async () => {
    const dataRoot = join(root, 'data');
    const outRoot = join(root, 'out');
    await writeTransactions(join(dataRoot, 'train.arrow'), 60, 20, 2);
    await writeTransactions(join(dataRoot, 'daily', 'day-1.arrow'), 30, 10, 3);
    await writeTransactions(join(dataRoot, 'daily', 'day-2.arrow'), 20, 10, 4);
    const config = await readPipelineFile(await writePipelineFile(join(dataRoot, 'p.json'), {
      name: 'sched', data: 'train.arrow', schema: SCHEMA, out: '../out/run',
      train: { epochs: 1, batchSize: 16, encoder: { hidden: 8 }, validationShare: 0, splitter: { kind: 'slices', splitCount: 2, cntMin: 3, cntMax: 10 } },
    }));
    await runPipelineLocally(config);
    const registry = join(outRoot, 'registry');
    assert.equal((await publishModel({ registry, run: join(outRoot, 'run') })).version, 'v1');
    assert.equal((await publishModel({ registry, run: join(outRoot, 'run') })).version, 'v2');
    assert.equal((await latestModel(registry)).version.version, 'v2');

    const target = { redis, prefix };
    const spec = { name: 'nightly', cron: '0 2 * * *', data: join(dataRoot, 'daily', '*.arrow'), out: join(outRoot, 'batch'), registry };
    await addSchedule(target, spec);
    // Re-adding the same name updates the schedule instead of adding a second one.
    await addSchedule(target, { ...spec, cron: '*/2 * * * * *' });
    const listed = await listSchedules(target);
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.cron, '*/2 * * * * *');
    assert.equal(listed[0]?.incremental, true);
    await addSchedule(target, { ...spec, cron: '*/2 * * * * *', incremental: false }); // `schedule add --full`
    assert.equal((await listSchedules(target))[0]?.incremental, false);
    await addSchedule(target, { ...spec, cron: '*/2 * * * * *' });

    const workers = startPipelineWorkers({
      redis, prefix, concurrency: 1, roots: { dataRoot, outRoot }, timing: { lockDuration: 10_000, stalledInterval: 5000 }, log: () => {},
    });
    try {
      await workers.ready;
      const dirs = await waitFor('two dated runs', async () => {
        const names = (await readdir(join(outRoot, 'batch')).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
        return names.length >= 2 ? names.sort() : undefined;
      }, 120_000);
      assert.equal(await removeSchedule(target, 'nightly'), true);
      assert.deepEqual(await listSchedules(target), []);
      for (const dir of dirs.slice(0, 2)) {
        assert.match(dir, /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
        const record = JSON.parse(await readFile(join(outRoot, 'batch', dir, 'run.json'), 'utf8')) as { modelVersion: string; files: string[]; output: string; asOf: string | null };
        assert.equal(record.modelVersion, 'v2');
        // The day files form one dataset: one embeddings file per run, cut at the run's due time.
        assert.deepEqual(record.files, [join(dataRoot, 'daily', 'day-1.arrow'), join(dataRoot, 'daily', 'day-2.arrow')]);
        assert.equal(record.asOf, null); // numeric days: no clock to cut by (batch-embed-job.test.ts covers dated columns)
        // A GRU keeps its state beside the embeddings; numeric days have no as-of, so every run is full.
        assert.deepEqual((await readdir(join(outRoot, 'batch', dir))).sort(), [record.output, 'run.json', 'state.arrow', 'summary.json']);
      }
    } finally {
      await workers.close();
    }
  });
});
