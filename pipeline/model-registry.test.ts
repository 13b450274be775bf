import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { datedName, expandGlob } from './queue/batch-embed-job.js';
import { writeManifest } from './manifest.js';
import { latestModel, publishModel, readRegistry } from './model-registry.js';

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
      await assert.rejects(expandGlob(join(root, '*', 'x.arrow')), /Only the file name part/);
      assert.equal(datedName(new Date('2024-01-02T02:00:00.123Z')), '2024-01-02T02-00-00Z');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
