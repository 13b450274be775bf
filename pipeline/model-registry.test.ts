import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnrecoverableError } from 'bullmq';
import { ConfigError, DataFormatError } from '../errors.js';
import { toJobError } from './queue/job-errors.js';
import { expandGlob } from '../data/glob.js';
import { datedName } from './queue/batch-embed-job.js';
import { writeManifest } from './manifest.js';
import { latestModel, pinModel, previousVersion, publishModel, readRegistry, resolveModel, rollbackModel, unpinModel } from './model-registry.js';

/** A pipeline output directory with a model and a compare manifest carrying `gender` = `auroc`. */
async function fakeRun(dir: string, auroc: number): Promise<void> {
  await mkdir(join(dir, 'train', 'model'), { recursive: true });
  await writeFile(join(dir, 'train', 'model', 'weights.bin'), Buffer.from([1, 2, 3, auroc * 100]));
  await mkdir(join(dir, 'compare'), { recursive: true });
  await writeManifest(join(dir, 'compare'), {
    formatVersion: 1, stage: 'compare', key: 'k', params: {}, inputs: {}, outputs: [],
    result: { scores: [{ set: 'meles', target: 'gender', metric: 'auroc', mean: auroc, halfWidth: 0.01 }, { set: 'handcrafted', target: 'gender', metric: 'auroc', mean: 0.9, halfWidth: null }] },
    startedAt: '', finishedAt: '', durationMs: 0,
  });
}

describe('model registry', () => {
  it('publishes versions with their evaluation, gates on required scores, and tracks latest', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meles-reg-'));
    try {
      const registry = join(root, 'registry');
      await assert.rejects(latestModel(registry), (e: unknown) => e instanceof ConfigError && /has no published model/.test(e.message));
      await fakeRun(join(root, 'a'), 0.7);
      await fakeRun(join(root, 'b'), 0.55);
      const v1 = await publishModel({ registry, run: join(root, 'a'), require: [{ target: 'gender', min: 0.6 }] });
      assert.equal(v1.version, 'v1');
      assert.deepEqual(v1.evaluation?.passed, ['gender auroc 0.7000 >= 0.6']);
      assert.deepEqual(v1.evaluation?.scores.map((s) => s.set), ['meles']);
      await assert.rejects(publishModel({ registry, run: join(root, 'b'), require: [{ target: 'gender', min: 0.6 }] }), /below the required 0\.6/);
      await assert.rejects(publishModel({ registry, run: join(root, 'b'), require: [{ target: 'age', min: 0.1 }] }), /no `age` score/);
      const v2 = await publishModel({ registry, run: join(root, 'b') });
      const index = await readRegistry(registry);
      assert.equal(index.latest, 'v2');
      assert.deepEqual(index.versions.map((v) => v.version), ['v1', 'v2']);
      const latest = await latestModel(registry);
      assert.equal(latest.version.sha256, v2.sha256);
      assert.deepEqual([...(await readFile(join(latest.dir, 'weights.bin')))], [1, 2, 3, 55]);
      await assert.rejects(publishModel({ registry, run: join(root, 'nothing') }), /expected a pipeline output directory/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('expands file-name globs and names dated directories safely', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meles-glob-'));
    try {
      for (const name of ['day-2.arrow', 'day-1.arrow', 'notes.txt']) await writeFile(join(root, name), '');
      assert.deepEqual(await expandGlob(join(root, 'day-?.arrow')), [join(root, 'day-1.arrow'), join(root, 'day-2.arrow')]);
      assert.deepEqual(await expandGlob(join(root, '*.arrow')), [join(root, 'day-1.arrow'), join(root, 'day-2.arrow')]);
      assert.deepEqual(await expandGlob(join(root, 'notes.txt')), [join(root, 'notes.txt')]);
      assert.deepEqual(await expandGlob(join(root, '*', 'x.arrow')), []); // directory parts may hold wildcards too (data/glob.ts)
      assert.equal(datedName(new Date('2024-01-02T02:00:00.123Z')), '2024-01-02T02-00-00Z');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('pins, unpins and rolls back (recorded), and knows latest / pinned / previous', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meles-reg-life-'));
    try {
      const registry = join(root, 'registry');
      for (const [name, auroc] of [['a', 0.61], ['b', 0.62], ['c', 0.63]] as const) {
        await fakeRun(join(root, name), auroc);
        await publishModel({ registry, run: join(root, name) });
      }
      let index = await readRegistry(registry);
      assert.equal(index.formatVersion, 2);
      assert.deepEqual([index.latest, index.pinned, previousVersion(index)], ['v3', null, 'v2']);

      await pinModel(registry, 'v1');
      assert.equal((await latestModel(registry)).version.version, 'v1', 'a pin wins over latest for schedules following the registry');
      assert.equal((await resolveModel(registry, 'v2')).version.version, 'v2', 'a schedule naming a version gets that version');
      await fakeRun(join(root, 'd'), 0.64);
      await publishModel({ registry, run: join(root, 'd') });
      assert.equal((await latestModel(registry)).version.version, 'v1', 'publishing does not move a pin');
      index = await readRegistry(registry);
      assert.deepEqual([index.latest, index.pinned, previousVersion(index)], ['v4', 'v1', 'v3']);
      await unpinModel(registry);
      assert.equal((await latestModel(registry)).version.version, 'v4');

      index = await rollbackModel(registry);
      assert.deepEqual([index.latest, previousVersion(index)], ['v3', 'v2']);
      assert.equal((await latestModel(registry)).version.version, 'v3');
      index = await rollbackModel(registry, 'v1');
      assert.equal(index.latest, 'v1');
      await assert.rejects(rollbackModel(registry), (e: unknown) => e instanceof ConfigError && /v1 is the first version/.test(e.message));
      await assert.rejects(rollbackModel(registry, 'v9'), (e: unknown) => e instanceof ConfigError && /no version `v9`; published versions: v1, v2, v3, v4/.test(e.message));
      await assert.rejects(pinModel(registry, 'v9'), /no version `v9`/);
      // A new publish after a rollback takes the next unused number and becomes latest.
      assert.equal((await publishModel({ registry, run: join(root, 'd') })).version, 'v5');
      const history = (await readRegistry(registry)).history.map((e) => `${e.action} ${e.from ? `${e.from}->` : ''}${e.version}`);
      assert.deepEqual(history, ['publish v1', 'publish v2', 'publish v3', 'pin v1', 'publish v4', 'unpin v1', 'rollback v4->v3', 'rollback v3->v1', 'publish v5']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('reads a format-1 index (no pinned, no history) and writes format 2 on the next change', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meles-reg-v1-'));
    try {
      const registry = join(root, 'registry');
      await fakeRun(join(root, 'a'), 0.7);
      const v1 = await publishModel({ registry, run: join(root, 'a') });
      const old = { formatVersion: 1, latest: 'v1', versions: [v1] };
      await writeFile(join(registry, 'registry.json'), JSON.stringify(old));
      const index = await readRegistry(registry);
      assert.deepEqual([index.formatVersion, index.latest, index.pinned, index.history], [2, 'v1', null, []]);
      assert.equal((await latestModel(registry)).version.sha256, v1.sha256);
      await pinModel(registry, 'v1');
      const written = JSON.parse(await readFile(join(registry, 'registry.json'), 'utf8')) as { formatVersion: number; pinned: string };
      assert.deepEqual([written.formatVersion, written.pinned], [2, 'v1']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('refuses a forged version name, a model folder outside the registry, and a model changed after publishing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meles-reg-confine-'));
    try {
      const registry = join(root, 'registry');
      const index = join(registry, 'registry.json');
      await fakeRun(join(root, 'a'), 0.7);
      const v1 = await publishModel({ registry, run: join(root, 'a') });
      // Another model somewhere else, with the same content, so only the location is wrong.
      await cp(join(root, 'a', 'train', 'model'), join(root, 'elsewhere', 'model'), { recursive: true });

      const isBadRegistry = (pattern: RegExp) => (e: unknown) => e instanceof DataFormatError && e.message.includes(index) && pattern.test(e.message);
      const forged = { formatVersion: 2, latest: '../../elsewhere/model', pinned: null, history: [], versions: [v1, { ...v1, version: '../../elsewhere/model' }] };
      await writeFile(index, JSON.stringify(forged));
      await assert.rejects(latestModel(registry), isBadRegistry(/field `latest`: .*"\.\.\/\.\.\/elsewhere\/model"/));
      const job = toJobError(await latestModel(registry).catch((e: unknown) => e));
      assert.ok(job instanceof UnrecoverableError, 'a worker fails a forged registry once, without retries');

      // A symlinked version folder that leads out of the registry.
      await writeFile(index, JSON.stringify({ formatVersion: 2, latest: 'v1', pinned: null, history: [], versions: [v1] }));
      await rename(join(registry, 'models', 'v1'), join(root, 'moved'));
      await symlink(join(root, 'elsewhere', 'model'), join(registry, 'models', 'v1'));
      await assert.rejects(latestModel(registry), isBadRegistry(/version v1: the model folder resolves to .*elsewhere.*outside the registry/));
      await rm(join(registry, 'models', 'v1'));
      // A symlinked file inside the folder that leads out of it.
      await cp(join(root, 'moved'), join(registry, 'models', 'v1'), { recursive: true });
      await symlink(join(root, 'elsewhere', 'model', 'weights.bin'), join(registry, 'models', 'v1', 'extra.bin'));
      await assert.rejects(latestModel(registry), isBadRegistry(/version v1: .*extra\.bin links to .*outside the model folder/));
      await rm(join(registry, 'models', 'v1', 'extra.bin'));
      assert.equal((await latestModel(registry)).version.version, 'v1', 'the restored folder is accepted again');

      // weights.bin changed after publishing.
      await writeFile(join(registry, 'models', 'v1', 'weights.bin'), Buffer.from([9, 9, 9, 9]));
      await assert.rejects(latestModel(registry), isBadRegistry(/version v1: the model folder .* hashes to [0-9a-f]{64}, expected the recorded [0-9a-f]{64}/));
      await assert.rejects(resolveModel(registry, 'v1'), isBadRegistry(/changed after publishing/));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
