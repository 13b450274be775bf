import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { pipelineFromPayload } from './confine-pipeline.js';

describe('pipelineFromPayload', () => {
  it('confines a score stage model directory like the data, and leaves the own fit alone', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meles-confine-'));
    try {
      const roots = { dataRoot: join(root, 'data'), outRoot: join(root, 'out') };
      await mkdir(join(roots.dataRoot, 'models', 'gbm'), { recursive: true });
      await mkdir(roots.outRoot, { recursive: true });
      const base = {
        name: 'p', data: 'tx.arrow', out: 'run', schema: { id: 'client_id', time: 't', categorical: [], numeric: ['amount'] },
        targets: { path: 'targets.arrow', columns: [{ name: 'gender', kind: 'binary' }] },
      };
      const inside = await pipelineFromPayload({ ...base, score: { model: 'models/gbm', sets: ['features'] } }, 'payload', roots);
      assert.equal(inside.score?.model, join(roots.dataRoot, 'models', 'gbm'));
      const own = await pipelineFromPayload(
        { ...base, fit: { target: 'gender', sets: ['features'] }, score: { model: 'fit', sets: ['features'] } }, 'payload', roots);
      assert.equal(own.score?.model, 'fit');
      await assert.rejects(
        pipelineFromPayload({ ...base, score: { model: '../../elsewhere/gbm', sets: ['features'] } }, 'payload', roots),
        (e: unknown) => e instanceof ConfigError && /score\.model/.test(e.message),
      );
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
