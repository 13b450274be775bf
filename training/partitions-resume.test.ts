/**
 * `partitionsPerEpoch` is a resumable training option: the checkpoint records it and a resumed run
 * uses it (it used to fall back to every partition, so `meles train --resume` silently trained on
 * other batches than the interrupted run). An explicit value on resume follows the rule of every
 * other option: it overrides the checkpoint's layer, and a different value is refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { partitionDataset } from '../data/partition.js';
import { meles } from '../data/testing/run-meles.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../data/synthetic/generate-transactions.js';
import { initBackend } from '../encoders/backend.js';
import { ConfigError } from '../errors.js';
import { readCheckpointOptions } from './checkpoint.js';
import { trainFromFile } from './train-from-file.js';
import type { TrainingConfigInput } from './training-options.js';

let root: string;
let parts: string;

const CONFIG: TrainingConfigInput = {
  encoder: { hidden: 8, categoricalDim: 4 },
  splitter: { kind: 'slices', splitCount: 3, cntMin: 5, cntMax: 20 },
  batchSize: 6,
  validationShare: 0.2,
  seed: 9,
};

async function weightsHash(dir: string): Promise<string> {
  return createHash('sha256').update(await readFile(join(dir, 'weights.bin'))).digest('hex');
}


describe('partitionsPerEpoch on resume', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-partitions-resume-'));
    const transactions = (await generateTransactions({ out: join(root, 'data'), clients: 80, minEvents: 10, maxEvents: 30, seed: 5 })).transactionsPath;
    parts = join(root, 'parts');
    await partitionDataset({ data: transactions, mapping: SYNTHETIC_SCHEMA, out: parts, partitions: 4 });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('the checkpoint records it, and a resume that does not repeat it trains like the uninterrupted run', async () => {
    const base = { data: parts, schema: SYNTHETIC_SCHEMA, backend: 'wasm' as const };
    const whole = await trainFromFile({ ...base, outDir: join(root, 'whole'), config: [{ ...CONFIG, epochs: 2 }], partitionsPerEpoch: 2 });
    const out = join(root, 'split');
    await trainFromFile({ ...base, outDir: out, config: [{ ...CONFIG, epochs: 1 }], partitionsPerEpoch: 2 });
    assert.equal((await readCheckpointOptions(out)).partitionsPerEpoch, 2);
    const resumed = await trainFromFile({ ...base, outDir: out, config: [{ epochs: 2 }], resume: 'required' });
    assert.equal(resumed.options.partitionsPerEpoch, 2);
    assert.equal(await weightsHash(out), await weightsHash(whole.modelDir), 'resumed equals uninterrupted');
    const all = await trainFromFile({ ...base, outDir: join(root, 'all'), config: [{ ...CONFIG, epochs: 2 }] });
    assert.equal(all.options.partitionsPerEpoch, 0, '0 = every partition');
    assert.notEqual(await weightsHash(all.modelDir), await weightsHash(whole.modelDir), 'every partition per epoch trains on other batches than 2');
  });

  it('an explicit value on resume is refused when it differs from the checkpoint, like any other option', async () => {
    const base = { data: parts, schema: SYNTHETIC_SCHEMA, backend: 'wasm' as const };
    const out = join(root, 'changed');
    await trainFromFile({ ...base, outDir: out, config: [{ ...CONFIG, epochs: 1 }], partitionsPerEpoch: 2 });
    await assert.rejects(
      trainFromFile({ ...base, outDir: out, config: [{ epochs: 2 }], resume: 'required', partitionsPerEpoch: 3 }),
      (e) => e instanceof ConfigError && /trained with different options/.test(e.message),
    );
    const same = await trainFromFile({ ...base, outDir: out, config: [{ epochs: 2 }], resume: 'required', partitionsPerEpoch: 2 });
    assert.equal(same.resumed, true);
  });

  it('meles train --resume without --partitions-per-epoch keeps the interrupted run\'s sample', async () => {
    const schema = join(root, 'schema.json');
    await writeFile(schema, JSON.stringify(SYNTHETIC_SCHEMA));
    const flags = ['--data', parts, '--schema', schema, '--hidden', '8', '--batch-size', '6', '--validation-share', '0.2', '--seed', '9', '--backend', 'wasm', '--threads', '1', '--quiet'];
    const whole = join(root, 'cli-whole');
    const out = join(root, 'cli-split');
    for (const args of [
      ['--out', whole, '--epochs', '2', '--partitions-per-epoch', '2'],
      ['--out', out, '--epochs', '1', '--partitions-per-epoch', '2'],
      ['--out', out, '--epochs', '2', '--resume'],
    ]) {
      const run = await meles('train', ...flags, ...args);
      assert.equal(run.code, 0, run.stderr);
    }
    assert.equal(await weightsHash(out), await weightsHash(whole));
  });
});
