import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import { initBackend } from '../../encoders/backend.js';
import { hashes, meles } from './hostile-helpers.js';
import { embedIncrementally } from '../../training/incremental/embed-incrementally.js';
import { saveTestModel } from '../../training/incremental/testing/test-model.js';
import { splitHistory } from '../../training/incremental/testing/split-history.js';

let root: string;
let whole: string;
let history: string;
let fresh: string;
let gru: string;
let oldState: string;

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** Runs `meles embed …` expecting a refusal: exit 2, the message, no output, the old state unchanged. */
async function refused(args: string[], message: RegExp): Promise<void> {
  const out = join(root, 'refused.arrow');
  const stateOut = join(root, 'refused-state.arrow');
  const before = await hashes(oldState);
  const run = await meles(['embed', ...args, '--out', out, '--state-out', stateOut, '--backend', 'wasm', '--quiet'], 120_000);
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, message);
  assert.equal(await exists(out), false, 'no embeddings written');
  assert.equal(await exists(stateOut), false, 'no state written');
  assert.deepEqual(await hashes(oldState), before, 'old state unchanged');
  assert.deepEqual((await readdir(root)).filter((f) => f.includes('.tmp-')), [], 'no temp files left');
}

describe('meles embed --state / --state-out', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-incremental-cli-'));
    whole = (await generateTransactions({ out: join(root, 'data'), clients: 20, minEvents: 5, maxEvents: 20, seed: 4 })).transactionsPath;
    history = join(root, 'history.arrow');
    fresh = join(root, 'fresh.arrow');
    await splitHistory({ source: whole, cut: 600, history, fresh });
    gru = join(root, 'gru');
    await saveTestModel(gru, { encoder: 'gru' });
    oldState = join(root, 'state.arrow');
    await embedIncrementally({ model: gru, data: history, out: join(root, 'e0.arrow'), stateOut: oldState, backend: 'wasm' });
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('continues a state through the CLI, replacing it in place', async () => {
    const state = join(root, 'inplace.arrow');
    const first = await meles(['embed', '--model', gru, '--data', history, '--out', join(root, 'c0.arrow'), '--state-out', state, '--backend', 'wasm', '--quiet'], 120_000);
    assert.equal(first.code, 0, first.stderr);
    const second = await meles(['embed', '--model', gru, '--state', state, '--data', fresh, '--out', join(root, 'c1.arrow'), '--state-out', state, '--backend', 'wasm', '--quiet'], 120_000);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /20 clients/);
  });

  it('refuses a bidirectional model, naming the reason', async () => {
    const dir = join(root, 'bi');
    await saveTestModel(dir, { encoder: 'gru', bidirectional: true });
    await refused(['--model', dir, '--state', oldState, '--data', fresh], /bidirectional: its reverse direction reads each sequence from the newest event back/);
  });

  it('refuses a Transformer, naming the reason', async () => {
    const dir = join(root, 'transformer');
    await saveTestModel(dir, { encoder: 'transformer', heads: 2 });
    await refused(['--model', dir, '--state', oldState, '--data', fresh], /encoder is 'transformer': its self-attention reads every event/);
  });

  it("refuses another model's state", async () => {
    const dir = join(root, 'other');
    await saveTestModel(dir, { encoder: 'gru' }, 99);
    await refused(['--model', dir, '--state', oldState, '--data', fresh], /state\.arrow: the state was made by another model \(fingerprint [0-9a-f]{12}…\), not by .*other/);
  });

  it('refuses new events older than a client\'s state time, naming the file, the client and both times', async () => {
    await refused(['--model', gru, '--state', oldState, '--data', whole], /transactions\.arrow: client `\d+` has an event at [\d.]+, older than the last event its state has read \([\d.]+, .*state\.arrow\)/);
  });

  it('refuses --max-events with --state', async () => {
    await refused(['--model', gru, '--state', oldState, '--data', fresh, '--max-events', '100'], /`--max-events` cannot be combined with `--state`/);
  });
});
