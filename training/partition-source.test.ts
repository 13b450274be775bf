import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { resolveDataset } from '../data/dataset.js';
import { partitionDataset } from '../data/partition.js';
import type { PartitionManifest } from '../data/partition-manifest.js';
import { clientIdAt, type SequenceSet } from '../data/sequence-set.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../data/synthetic/generate-transactions.js';
import { initBackend } from '../encoders/backend.js';
import { ConfigError } from '../errors.js';
import type { EpochBatch } from './epoch-source.js';
import { manifestVocabularies, openPartitionClientSource } from './partition-source.js';
import { trainFromFile } from './train-from-file.js';
import type { BatchProgress } from './trainer.js';
import { TINY_TRAINING } from './testing/tiny-training.js';
import type { TrainingConfigInput } from './training-options.js';

let root: string;
let transactions: string;
let parts: string;

const CONFIG: TrainingConfigInput = { ...TINY_TRAINING, batchSize: 6, validationShare: 0.2, seed: 9 };

const PLAN = { batchSize: 6, minBatchClients: 2, maxBatchesPerEpoch: 0 };

async function collect(batches: AsyncIterable<EpochBatch>): Promise<EpochBatch[]> {
  const out: EpochBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

async function weightsHash(dir: string): Promise<string> {
  return createHash('sha256').update(await readFile(join(dir, 'weights.bin'))).digest('hex');
}

describe('partitionClientSource', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-partition-source-'));
    transactions = (await generateTransactions({ out: join(root, 'data'), clients: 80, minEvents: 10, maxEvents: 30, seed: 5 })).transactionsPath;
    parts = join(root, 'parts');
    await partitionDataset({ data: transactions, mapping: SYNTHETIC_SCHEMA, out: parts, partitions: 4 });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function open(partitionsPerEpoch?: number) {
    const dataset = await resolveDataset(parts);
    const manifest = dataset.partitions as PartitionManifest;
    return openPartitionClientSource({
      dataset: { ...dataset, partitions: manifest },
      schema: SYNTHETIC_SCHEMA,
      vocabularies: manifestVocabularies(manifest),
      seed: 9,
      validationShare: 0.2,
      ...(partitionsPerEpoch === undefined ? {} : { partitionsPerEpoch }),
    });
  }

  it('an epoch over every partition trains each non-validation client exactly once, one partition at a time', async () => {
    const stream = await open();
    const batches = await collect(stream.source.batches(0, 0, PLAN));
    assert.equal(batches.length, stream.source.batchCount(0, PLAN));
    assert.deepEqual(batches.map((b) => b.index), batches.map((_, i) => i));
    const seen = new Map<string, number>();
    const partitionsRead = new Set<SequenceSet>();
    let previous: SequenceSet | undefined;
    for (const b of batches) {
      // A partition's batches are consecutive: once the source moves on it never returns to it.
      if (b.data !== previous) assert.ok(!partitionsRead.has(b.data!), 'a partition came back after another one');
      previous = b.data;
      partitionsRead.add(b.data!);
      for (const c of b.clients) {
        const id = String(clientIdAt(b.data!.ids, c));
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
    }
    assert.equal(partitionsRead.size, 4);
    const validationIds = new Set(Array.from(stream.validation, (c) => String(clientIdAt(stream.resident.ids, c))));
    assert.ok(validationIds.size >= 2);
    // Each partition's remainder batch is dropped when it has fewer than minBatchClients (2) clients.
    assert.ok(seen.size + validationIds.size <= 80 && seen.size + validationIds.size >= 80 - 4, `${seen.size} + ${validationIds.size}`);
    for (const [id, times] of seen) {
      assert.equal(times, 1, `client ${id}`);
      assert.ok(!validationIds.has(id), `validation client ${id} was trained on`);
    }
    assert.equal(stream.source.trainClients, 80 - validationIds.size);
  });

  it('samples partitions per epoch with the seed, and a resumed epoch yields exactly the remaining batches', async () => {
    const a = await open(2);
    const b = await open(2);
    const ids = (batches: EpochBatch[]): string[] => batches.map((x) => Array.from(x.clients, (c) => String(clientIdAt(x.data!.ids, c))).join(','));
    const epoch0 = await collect(a.source.batches(0, 0, PLAN));
    assert.deepEqual(ids(epoch0), ids(await collect(b.source.batches(0, 0, PLAN))));
    assert.equal(new Set(epoch0.map((x) => x.data)).size, 2);
    assert.notDeepEqual(ids(epoch0), ids(await collect(a.source.batches(1, 0, PLAN))));
    const tail = await collect(a.source.batches(0, 3, PLAN));
    assert.deepEqual(tail.map((x) => x.index), epoch0.slice(3).map((x) => x.index));
    assert.deepEqual(ids(tail), ids(epoch0.slice(3)));
    const capped = await collect(a.source.batches(0, 0, { ...PLAN, maxBatchesPerEpoch: 2 }));
    assert.deepEqual(ids(capped), ids(epoch0.slice(0, 2)));
    await assert.rejects(open(5), (e) => e instanceof ConfigError && /partitionsPerEpoch/.test(e.message));
  });

  it('trainFromFile streams a partition directory: same seed, same weights; interrupted + resumed equals uninterrupted; no tensors leak', async () => {
    const tensors = tf.memory().numTensors;
    const first = await trainFromFile({ data: parts, schema: SYNTHETIC_SCHEMA, outDir: join(root, 'a'), config: [CONFIG], backend: 'wasm', partitionsPerEpoch: 3 });
    const second = await trainFromFile({ data: parts, schema: SYNTHETIC_SCHEMA, outDir: join(root, 'b'), config: [CONFIG], backend: 'wasm', partitionsPerEpoch: 3 });
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(await weightsHash(first.modelDir), await weightsHash(second.modelDir));
    assert.equal(first.epochs.length, 2);
    assert.ok(first.epochs[0]!.recallAt4 !== null && Number.isFinite(first.epochs[0]!.recallAt4));
    const controller = new AbortController();
    const progress: BatchProgress[] = [];
    const out = join(root, 'c');
    const options = { data: parts, schema: SYNTHETIC_SCHEMA, outDir: out, config: [CONFIG], backend: 'wasm' as const, partitionsPerEpoch: 3 };
    const stopped = await trainFromFile({
      ...options,
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p);
        if (p.epoch === 1 && p.batch === 2) controller.abort();
      },
    });
    assert.equal(stopped.aborted, true);
    assert.equal(progress[0]!.batches, progress.length - 3, 'epoch 0 had as many batches as announced');
    const resumed = await trainFromFile({ ...options, resume: 'required' });
    assert.equal(resumed.resumed, true);
    assert.equal(await weightsHash(out), await weightsHash(first.modelDir));
    const whole = await trainFromFile({ data: parts, schema: SYNTHETIC_SCHEMA, outDir: join(root, 'd'), config: [CONFIG], backend: 'wasm' });
    assert.notEqual(await weightsHash(whole.modelDir), await weightsHash(first.modelDir), 'all partitions per epoch trains on other batches than 3');
  });

  it('refuses --partitions-per-epoch for a dataset that is not partitioned', async () => {
    await assert.rejects(
      trainFromFile({ data: transactions, schema: SYNTHETIC_SCHEMA, outDir: join(root, 'e'), config: [CONFIG], backend: 'wasm', partitionsPerEpoch: 2 }),
      (e) => e instanceof ConfigError && /--partitions-per-epoch needs a partitioned dataset/.test(e.message),
    );
  });
});
