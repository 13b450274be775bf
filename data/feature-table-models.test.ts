import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { readFile } from 'node:fs/promises';
import { tableFromColumns, writeArrowTable } from './arrow-sink.js';
import { MODEL_SHA256_METADATA_KEY, MODEL_VERSION_METADATA_KEY, writeEmbeddings, type EmbeddingModel } from './embedding-sink.js';
import { ConfigError } from '../errors.js';
import { readFeatureTable, readRecordedModel } from './feature-table.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

async function embeddings(path: string, model: EmbeddingModel, offset: number): Promise<void> {
  async function* chunks(): AsyncGenerator<{ ids: { kind: 'int32'; values: Int32Array }; values: Float32Array }> {
    yield { ids: { kind: 'int32', values: new Int32Array([1, 2, 3]) }, values: new Float32Array([1, 2, 3, 4, 5, 6].map((v) => v + offset)) };
  }
  await writeEmbeddings(path, 'arrow', { width: 2, idColumn: 'id', idKind: 'int32', model }, chunks());
}

describe('embedding files record their model; feature sets refuse mixed models', () => {
  it('writes meles.model_version (when known) and meles.model_sha256, and refuses to join files of two models', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-ftm-'));
    try {
      const [v1, v1b, v2, plain] = ['v1.arrow', 'v1b.arrow', 'v2.arrow', 'plain.arrow'].map((n) => join(dir, n)) as [string, string, string, string];
      await embeddings(v1, { version: 'v1', sha256: A }, 0);
      await embeddings(v1b, { version: null, sha256: A }, 10);
      await embeddings(v2, { version: 'v2', sha256: B }, 20);
      await writeArrowTable(plain, tableFromColumns({ id: new Int32Array([1, 2, 3]), f: new Float32Array([1, 2, 3]) }));

      const meta = tableFromIPC(await readFile(v1)).schema.metadata;
      assert.equal(meta.get(MODEL_VERSION_METADATA_KEY), 'v1');
      assert.equal(meta.get(MODEL_SHA256_METADATA_KEY), A);
      assert.equal(tableFromIPC(await readFile(v1b)).schema.metadata.has(MODEL_VERSION_METADATA_KEY), false);
      assert.deepEqual(await readRecordedModel(v1b), { version: null, sha256: A });
      assert.equal(await readRecordedModel(plain), undefined);

      // Same model (with or without a version) and files that record no model join.
      assert.equal((await readFeatureTable([v1, v1b, plain], 'id')).cols, 5);
      await assert.rejects(readFeatureTable([v1, plain, v2], 'id'), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        for (const part of [v1, v2, A, B, '(v2)', '--allow-mixed-models']) assert.ok(error.message.includes(part), `${part} in: ${error.message}`);
        return true;
      });
      assert.equal((await readFeatureTable([v1, v2], 'id', { allowMixedModels: true })).cols, 4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
