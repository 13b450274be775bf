/**
 * CpcLoss against a plain float64 loop over padded per-sequence arrays (1e-5) on a tiny batch of
 * lengths 3, 5, 1 (sorted order differs from batch order); finite-difference gradients for z, c and
 * the heads; the negative draw; edge cases (all lengths 1, one sequence, identical vectors); leaks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../data/random.js';
import { packBatch, type PackedBatch } from '../../encoders/packed-batch.js';
import { ConfigError } from '../../errors.js';
import { assertClose } from '../../metric/testing/fixtures.js';
import type { CpcLayout } from './cpc-layout.js';
import { CpcLoss } from './cpc-loss.js';

const H = 4; // context width
const D = 3; // event width

function pack(lengths: number[]): PackedBatch {
  return packBatch({ size: lengths.length, maxLength: Math.max(...lengths), lengths: Int32Array.from(lengths), categorical: {}, numeric: {} }, [], []);
}

/** [b, t] of every packed row, from the packing rule row = offsets[t] + rank[b]. */
function sourceOfRows(packed: PackedBatch, lengths: number[]): [number, number][] {
  const out: [number, number][] = [];
  lengths.forEach((len, b) => {
    for (let t = 0; t < len; t++) out[packed.offsets[t]! + packed.rank[b]!] = [b, t];
  });
  return out;
}

interface Heads {
  w: number[][][]; // [k][i][j]
  b: number[][]; // [k][j]
}

function headsOf(cpc: CpcLoss): Heads {
  const p = cpc.parameters();
  const w: number[][][] = [];
  const b: number[][] = [];
  for (let k = 1; k <= cpc.options.steps; k++) {
    const wk = p.find((q) => q.name === `cpc/head${k}/w`)!.variable.arraySync() as number[][];
    w.push(wk);
    b.push(p.find((q) => q.name === `cpc/head${k}/b`)!.variable.arraySync() as number[]);
  }
  return { w, b };
}

/**
 * ptls CPC_Loss in loops: for every sequence b, k = 1..K and t with t + k < len, the prediction
 * W_k c_t + b_k scored against z_{t+k} and the sequence's negatives; mean per k, then mean over k.
 */
function naiveCpc(zRows: number[][], cRows: number[][], heads: Heads, layout: CpcLayout, packed: PackedBatch, lengths: number[]): number {
  const source = sourceOfRows(packed, lengths);
  const at = (rows: number[][], b: number, t: number): number[] => rows[source.findIndex(([sb, st]) => sb === b && st === t)]!;
  const dot = (a: number[], v: number[]): number => a.reduce((s, x, i) => s + x * v[i]!, 0);
  const K = heads.w.length;
  const sums = new Array<number>(K + 1).fill(0);
  const counts = new Array<number>(K + 1).fill(0);
  lengths.forEach((len, b) => {
    const g = packed.rank[b]!;
    const negatives: number[][] = [];
    for (let m = 0; m < layout.negativeCounts[g]!; m++) negatives.push(zRows[layout.negativeRows[g * layout.negativeSlots + m]!]!);
    for (let k = 1; k <= K; k++) {
      for (let t = 0; t + k < len; t++) {
        const c = at(cRows, b, t);
        const pred = heads.b[k - 1]!.map((bias, j) => c.reduce((s, ci, i) => s + ci * heads.w[k - 1]![i]![j]!, bias));
        const logits = [dot(pred, at(zRows, b, t + k)), ...negatives.map((n) => dot(pred, n))];
        const max = Math.max(...logits);
        sums[k]! += max + Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0)) - logits[0]!;
        counts[k]!++;
      }
    }
  });
  let total = 0;
  let active = 0;
  for (let k = 1; k <= K; k++) {
    if (counts[k]! === 0) continue;
    total += sums[k]! / counts[k]!;
    active++;
  }
  return active === 0 ? 0 : total / active;
}

function randomRows(rng: Rng, n: number, d: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal() * 0.8));
}

/** Value and gradients (z, c, heads in parameter order) of CpcLoss.call; asserts no tensor leaks. */
function taped(cpc: CpcLoss, z: number[][], c: number[][], layout: CpcLayout): { value: number; grads: number[][] } {
  const zv = tf.variable(tf.tensor2d(z, [z.length, D]));
  const cv = tf.variable(tf.tensor2d(c, [c.length, H]));
  const vars = [zv, cv, ...cpc.trainableVariables()];
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => cpc.call(zv as tf.Variable<tf.Rank.R2>, cv as tf.Variable<tf.Rank.R2>, layout), vars);
  const result = { value: value.dataSync()[0]!, grads: vars.map((v) => Array.from(grads[v.name]!.dataSync())) };
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before, 'tensors leaked by the CPC loss or its gradient');
  tf.dispose([zv, cv]);
  for (const g of result.grads.flat()) assert.ok(Number.isFinite(g), `non-finite gradient ${g}`);
  return result;
}

const LENGTHS = [3, 5, 1];

describe('CpcLoss', () => {
  const packed = pack(LENGTHS);
  const rng = new Rng(5);
  const z = randomRows(rng, packed.events, D);
  const c = randomRows(rng, packed.events, H);

  for (const negatives of [4, 40]) {
    it(`matches the float64 loop (K = 3, ${negatives} negatives), gradients match central differences`, () => {
      const cpc = new CpcLoss({ context: H, event: D }, { steps: 3, negatives, seed: 2 });
      const layout = cpc.layout(packed, new Rng(9));
      const heads = headsOf(cpc);
      const { value, grads } = taped(cpc, z, c, layout);
      assertClose(value, naiveCpc(z, c, heads, layout, packed, LENGTHS), 1e-5);
      const eps = 1e-6;
      // Every entry of z and c, and every head weight and bias.
      const numeric = (rows: 'z' | 'c', r: number, j: number): number => {
        const f = (delta: number): number => {
          const [zz, cc] = structuredClone([z, c]);
          (rows === 'z' ? zz : cc)[r]![j]! += delta;
          return naiveCpc(zz, cc, heads, layout, packed, LENGTHS);
        };
        return (f(eps) - f(-eps)) / (2 * eps);
      };
      z.forEach((row, r) => row.forEach((_, j) => assertClose(grads[0]![r * D + j]!, numeric('z', r, j), 1e-4, `dz[${r}][${j}]`)));
      c.forEach((row, r) => row.forEach((_, j) => assertClose(grads[1]![r * H + j]!, numeric('c', r, j), 1e-4, `dc[${r}][${j}]`)));
      for (let k = 0; k < 3; k++) {
        const head = (part: 'w' | 'b', index: number): number => {
          const f = (delta: number): number => {
            const hh = structuredClone(heads);
            if (part === 'w') hh.w[k]![Math.floor(index / D)]![index % D]! += delta;
            else hh.b[k]![index]! += delta;
            return naiveCpc(z, c, hh, layout, packed, LENGTHS);
          };
          return (f(eps) - f(-eps)) / (2 * eps);
        };
        for (let i = 0; i < H * D; i++) assertClose(grads[2 + 2 * k]![i]!, head('w', i), 1e-4, `dW${k + 1}[${i}]`);
        for (let j = 0; j < D; j++) assertClose(grads[3 + 2 * k]![j]!, head('b', j), 1e-4, `db${k + 1}[${j}]`);
      }
      cpc.dispose();
    });
  }

  it('draws distinct negatives from other sequences only, min(negatives, other events) each, seeded', () => {
    for (const [lengths, negatives] of [[LENGTHS, 4], [Array.from({ length: 12 }, (_, i) => 3 + ((i * 7) % 19)), 5]] as const) {
      const p = pack([...lengths]);
      const cpc = new CpcLoss({ context: H, event: D }, { steps: 2, negatives });
      const layout = cpc.layout(p, new Rng(1));
      const owner = sourceOfRows(p, [...lengths]);
      for (let g = 0; g < p.size; g++) {
        const count = layout.negativeCounts[g]!;
        assert.equal(count, Math.min(negatives, p.events - p.sortedLengths[g]!));
        const rows = Array.from(layout.negativeRows.subarray(g * layout.negativeSlots, g * layout.negativeSlots + count));
        assert.equal(new Set(rows).size, count, 'negatives are distinct');
        for (const r of rows) assert.notEqual(owner[r]![0], p.order[g], 'a negative from the sequence itself');
      }
      assert.deepEqual(cpc.layout(p, new Rng(1)).negativeRows, layout.negativeRows);
      if (negatives === 5) assert.notDeepEqual(cpc.layout(p, new Rng(2)).negativeRows, layout.negativeRows);
      cpc.dispose();
    }
  });

  it('is 0 with zero gradients when no sequence has a future (all lengths 1) or there is one sequence', () => {
    for (const lengths of [[1, 1, 1], [4]]) {
      const p = pack(lengths);
      const cpc = new CpcLoss({ context: H, event: D }, { steps: 2 });
      const r = new Rng(3);
      const { value, grads } = taped(cpc, randomRows(r, p.events, D), randomRows(r, p.events, H), cpc.layout(p, r));
      assert.equal(value, 0);
      assert.ok(grads.flat().every((g) => g === 0));
      cpc.dispose();
    }
  });

  it('identical vectors: each position costs log(1 + its negatives), gradients finite', () => {
    const cpc = new CpcLoss({ context: H, event: D }, { steps: 6, negatives: 3 });
    const layout = cpc.layout(packed, new Rng(4));
    const same = (d: number): number[][] => Array.from({ length: packed.events }, () => Array.from({ length: d }, (_, j) => 0.1 * (j + 1)));
    const { value } = taped(cpc, same(D), same(H), layout);
    assertClose(value, naiveCpc(same(D), same(H), headsOf(cpc), layout, packed, LENGTHS), 1e-5);
    assertClose(value, Math.log(4), 1e-5); // both sequences with a future have 3 negatives
    cpc.dispose();
  });

  it('validates its options', () => {
    assert.throws(() => new CpcLoss({ context: H, event: D }, { steps: 0 }), (e: unknown) => e instanceof ConfigError && /`steps` to be an integer in \[1, 1024\]/.test(e.message));
    assert.throws(() => new CpcLoss({ context: H, event: D }, { negatives: 1.5 }), /`negatives`/);
    assert.throws(() => new CpcLoss({ context: H, event: D }, { nNegatives: 3 } as never), /Unknown option `nNegatives`/);
  });
});
