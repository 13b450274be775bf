/**
 * Measures LightGBM training speed through the koffi binding for 1 vs 2 threads, to pick the
 * default `numThreads`. Usage: `npx tsx scripts/bench-lightgbm.ts [rows] [cols] [iterations]`.
 */
import { Rng } from '../data/random.js';
import { trainBooster } from '../downstream/lightgbm/index.js';

const rows = Number(process.argv[2] ?? 20000);
const cols = Number(process.argv[3] ?? 32);
const iterations = Number(process.argv[4] ?? 100);
const rng = new Rng(1);
const X = new Float64Array(rows * cols);
const y = new Float64Array(rows);
for (let i = 0; i < rows; i++) {
  let s = 0;
  for (let j = 0; j < cols; j++) {
    X[i * cols + j] = rng.normal();
    if (j < 4) s += X[i * cols + j]!;
  }
  y[i] = s + rng.normal() > 0 ? 1 : 0;
}
console.log(`data: ${rows} × ${cols}, ${iterations} iterations, binary objective`);
for (const numThreads of [1, 2, 1, 2]) {
  const t0 = performance.now();
  const { booster } = trainBooster(X, rows, cols, y, { objective: 'binary', numThreads }, { numIterations: iterations });
  const t1 = performance.now();
  booster.predict(X, rows, cols);
  const t2 = performance.now();
  booster.free();
  console.log(`num_threads=${numThreads}: train ${((t1 - t0) / 1000).toFixed(3)} s, predict ${((t2 - t1) / 1000).toFixed(3)} s`);
}
