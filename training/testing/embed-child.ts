/**
 * Test helper run as a child process: loads a model directory on the given backend, embeds the
 * batch stored as JSON and prints the embeddings as JSON (numbers are float32 values, exact).
 * Usage: node --import tsx training/testing/embed-child.ts MODEL_DIR BATCH_JSON BACKEND
 */
import { initBackend, type BackendName } from '../../encoders/backend.js';
import type { EventBatch } from '../../encoders/packed-batch.js';
import { loadModelDirectory } from '../model-files.js';

const [dir, batchJson, backend] = process.argv.slice(2);
await initBackend((backend ?? 'wasm') as BackendName, { quiet: true });
const raw = JSON.parse(batchJson!) as { size: number; maxLength: number; lengths: number[]; categorical: Record<string, number[]>; numeric: Record<string, number[]> };
const batch: EventBatch = {
  size: raw.size,
  maxLength: raw.maxLength,
  lengths: Int32Array.from(raw.lengths),
  categorical: Object.fromEntries(Object.entries(raw.categorical).map(([k, v]) => [k, Int32Array.from(v)])),
  numeric: Object.fromEntries(Object.entries(raw.numeric).map(([k, v]) => [k, Float32Array.from(v)])),
};
const { model } = await loadModelDirectory(dir!);
const out = model.embed(batch);
process.stdout.write(JSON.stringify(Array.from(out.dataSync())));
out.dispose();
model.dispose();
