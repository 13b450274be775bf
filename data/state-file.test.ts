import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFormatError } from '../errors.js';
import { writeEmbeddings } from './embedding-sink.js';
import { openStateFile, readStateHeader, type StateChunk, type StateFileHeader, writeStateFile } from './state-file.js';

let root: string;
const FINGERPRINT = 'a'.repeat(64);

async function readAll(path: string): Promise<{ header: StateFileHeader; chunks: StateChunk[] }> {
  const opened = await openStateFile(path);
  const chunks: StateChunk[] = [];
  for await (const chunk of opened.chunks) chunks.push(chunk);
  return { header: opened.header, chunks };
}

describe('state files', () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'meles-state-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('round-trips LSTM states of two layers with string ids over several batches; no temp files', async () => {
    const header: StateFileHeader = { idColumn: 'cid', idKind: 'utf8', modelFingerprint: FINGERPRINT, layout: { kind: 'lstm', layers: 2, components: 2, hidden: 3 }, timeUnit: 'ms' };
    const chunk = (ids: string[], base: number): StateChunk => ({
      ids: { kind: 'utf8', values: ids },
      states: [0, 1].map((l) => [0, 1].map((k) => Float32Array.from({ length: ids.length * 3 }, (_, i) => base + 100 * l + 10 * k + i))),
      lastTime: Float64Array.from(ids, (_, i) => 1.7e12 + base + i),
      eventCount: Int32Array.from(ids, (_, i) => base + i + 1),
    });
    const written = [chunk(['a', 'b'], 0), chunk(['c'], 1000)];
    const path = join(root, 'lstm.arrow');
    assert.equal(await writeStateFile(path, header, written), 3);
    const back = await readAll(path);
    assert.deepEqual(back.header, header);
    assert.deepEqual(back.chunks, written);
    assert.deepEqual((await readdir(root)).filter((f) => f.includes('.tmp-')), []);
  });

  it('a state file without rows keeps its header', async () => {
    const header: StateFileHeader = { idColumn: 'client_id', idKind: 'int64', modelFingerprint: FINGERPRINT, layout: { kind: 'gru', layers: 1, components: 1, hidden: 4 }, timeUnit: 'number' };
    const path = join(root, 'empty.arrow');
    assert.equal(await writeStateFile(path, header, []), 0);
    const back = await readAll(path);
    assert.deepEqual(back.header, header);
    assert.equal(back.chunks.reduce((n, c) => n + c.ids.values.length, 0), 0);
  });

  it('an embedding file is refused as a state file, naming the file', async () => {
    const path = join(root, 'emb.arrow');
    await writeEmbeddings(path, 'arrow', { width: 2, idColumn: 'client_id', idKind: 'int32' }, (async function* () {
      yield { ids: { kind: 'int32' as const, values: Int32Array.of(1) }, values: Float32Array.of(1, 2) };
    })());
    await assert.rejects(readStateHeader(path), (e: unknown) => e instanceof DataFormatError && e.message.startsWith(`${path}: expected a meles state file`));
  });
});
