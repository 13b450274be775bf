/**
 * Worker thread of {@link projectTsneInWorker}: runs the seeded t-SNE of `./projections.ts` on the
 * rows it is given and posts the plane coordinates back (or the error message).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { projectTsne } from './projections.js';
import type { TsneWorkerData, TsneWorkerReply } from './tsne-in-worker.js';

const data = workerData as TsneWorkerData;
let reply: TsneWorkerReply;
try {
  const { x, y, seconds } = projectTsne(data.rows, data.options);
  reply = { kind: 'done', x, y, seconds };
} catch (error) {
  reply = { kind: 'error', message: error instanceof Error ? error.message : String(error) };
}
parentPort!.postMessage(reply);
