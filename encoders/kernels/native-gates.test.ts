import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { compileNativeGates, loadNativeGates } from './native-gates.js';

const gcc = loadNativeGates();
const skip = gcc.ok ? false : `compiled gate math unavailable here: ${gcc.reason}`;

describe('compiled gate math (rnn-gates.c)', () => {
  test('a compiler that fails is a reason, not an exception, and leaves no partial file', () => {
    const folder = mkdtempSync(join(tmpdir(), 'meles-gates-'));
    try {
      const result = compileNativeGates({ cacheFolder: folder, compiler: 'meles-no-such-compiler' });
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, /compiling .*rnn-gates\.c failed/);
      assert.deepEqual(readdirSync(folder), []);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('a cache folder others may write to is refused (code is loaded from it)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'meles-gates-'));
    try {
      chmodSync(folder, 0o777);
      const result = compileNativeGates({ cacheFolder: folder });
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, /writable by group or others/);
      assert.deepEqual(readdirSync(folder), []);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('MELES_NATIVE_GATES=0 disables it with the reason', () => {
    process.env.MELES_NATIVE_GATES = '0';
    try {
      const result = loadNativeGates();
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, /MELES_NATIVE_GATES=0/);
    } finally {
      delete process.env.MELES_NATIVE_GATES;
    }
  });

  test('compiles into a fresh folder once, and the LSTM step computes the cell equations', { skip }, () => {
    const folder = mkdtempSync(join(tmpdir(), 'meles-gates-'));
    try {
      const result = compileNativeGates({ cacheFolder: folder });
      assert.ok(result.ok, result.ok ? '' : result.reason);
      assert.ok(existsSync(result.gates.library));
      assert.equal(readdirSync(folder).length, 1);
      // One row, H = 2: a = [i i f f o o g g] pre-activations; c updated in place.
      const a = Float32Array.of(0.5, -1, 2, 0, -0.3, 1.5, 0.7, -2);
      const c = Float32Array.of(0.2, -0.4);
      const h = new Float32Array(2);
      const gates = new Float32Array(8);
      const tanhC = new Float32Array(2);
      result.gates.lstmForwardStep(1, 2, a, c, h, gates, tanhC);
      const s = (x: number): number => 1 / (1 + Math.exp(-x));
      for (let j = 0; j < 2; j++) {
        const cj = s(a[2 + j]!) * [0.2, -0.4][j]! + s(a[j]!) * Math.tanh(a[6 + j]!);
        assert.ok(Math.abs(c[j]! - cj) < 1e-6, `c[${j}] ${c[j]} vs ${cj}`);
        assert.ok(Math.abs(h[j]! - s(a[4 + j]!) * Math.tanh(cj)) < 1e-6, `h[${j}]`);
      }
      // Loaded from the cache the second time: still one file.
      assert.ok(compileNativeGates({ cacheFolder: folder }).ok);
      assert.equal(readdirSync(folder).length, 1);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
  test('threads of one process compiling into a fresh folder at once all load it (one pid, many threads)', { skip }, async () => {
    // `--threads 2` on a fresh machine: both gradient workers compile at the same moment. They
    // share the process id, so a temporary name made from it alone collided and one rename failed.
    const folder = mkdtempSync(join(tmpdir(), 'meles-gates-'));
    const module = fileURLToPath(new URL('./native-gates.ts', import.meta.url));
    const code = `
      const { workerData, parentPort } = require('node:worker_threads');
      import('tsx/esm/api').then(({ register }) => { register(); return import(workerData.module); })
        .then((m) => { const r = m.compileNativeGates({ cacheFolder: workerData.folder }); parentPort.postMessage(r.ok ? 'ok' : r.reason); })
        .catch((e) => parentPort.postMessage(String(e && e.stack || e)));`;
    try {
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => new Promise<string>((resolve, reject) => {
          const worker = new Worker(code, { eval: true, workerData: { module, folder } });
          worker.once('message', (m: string) => resolve(m));
          worker.once('error', reject);
        })),
      );
      assert.deepEqual(answers, ['ok', 'ok', 'ok', 'ok']);
      assert.equal(readdirSync(folder).length, 1, `left: ${readdirSync(folder).join(', ')}`);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
