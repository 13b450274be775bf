import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { runStage } from './run-stage.js';
import type { StageDefinition } from './stage.js';
import { readManifest } from './manifest.js';

interface Params { readonly input: string; readonly factor: number; readonly failAfterWrite?: boolean }

/** A tiny real stage: reads numbers from a file, multiplies them, writes them and their sum. */
function scaleStage(counter: { runs: number }): StageDefinition<Params, { sum: number }> {
  return {
    name: 'features',
    inputs: (params) => ({ numbers: params.input }),
    resultSchema: z.object({ sum: z.number() }),
    async run(params, ctx) {
      counter.runs += 1;
      const values = (await readFile(params.input, 'utf8')).trim().split(/\s+/).map(Number);
      const scaled = values.map((v) => v * params.factor);
      await writeFile(join(ctx.workDir, 'scaled.txt'), scaled.join('\n'));
      ctx.progress({ fraction: 1 });
      if (params.failAfterWrite) throw new Error('disk full (simulated)');
      return { sum: scaled.reduce((a, b) => a + b, 0) };
    },
  };
}

describe('runStage', () => {
  it('runs once, skips while inputs and params match, reruns when either changes', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meles-stage-'));
    try {
      const input = join(root, 'numbers.txt');
      await writeFile(input, '1 2 3');
      const counter = { runs: 0 };
      const stage = scaleStage(counter);
      const first = await runStage(stage, { input, factor: 2 }, { outRoot: join(root, 'out') });
      assert.deepEqual(first.result, { sum: 12 });
      assert.equal(first.skipped, false);
      const again = await runStage(stage, { input, factor: 2 }, { outRoot: join(root, 'out') });
      assert.equal(again.skipped, true);
      assert.deepEqual(again.result, { sum: 12 });
      assert.equal(counter.runs, 1);

      await runStage(stage, { input, factor: 3 }, { outRoot: join(root, 'out') });
      assert.equal(counter.runs, 2);
      await writeFile(input, '1 2 4');
      const changed = await runStage(stage, { input, factor: 3 }, { outRoot: join(root, 'out') });
      assert.deepEqual(changed.result, { sum: 21 });
      assert.equal(counter.runs, 3);
      const manifest = await readManifest(changed.dir);
      assert.equal(manifest?.outputs[0]?.path, 'scaled.txt');
      assert.match(manifest?.inputs.numbers ?? '', /^[0-9a-f]{64}$/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a failing stage leaves the previous complete output and no temp directory', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meles-stage-'));
    try {
      const input = join(root, 'numbers.txt');
      await writeFile(input, '5');
      const stage = scaleStage({ runs: 0 });
      const out = join(root, 'out');
      await runStage(stage, { input, factor: 1 }, { outRoot: out });
      await assert.rejects(runStage(stage, { input, factor: 7, failAfterWrite: true }, { outRoot: out }), /disk full/);
      assert.deepEqual(await readdir(out), ['features']);
      assert.equal(await readFile(join(out, 'features', 'scaled.txt'), 'utf8'), '5');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('a failing first run writes nothing at all', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meles-stage-'));
    try {
      const input = join(root, 'numbers.txt');
      await writeFile(input, '5');
      const out = join(root, 'out');
      await assert.rejects(runStage(scaleStage({ runs: 0 }), { input, factor: 1, failAfterWrite: true }, { outRoot: out }));
      assert.deepEqual(await readdir(out), []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
