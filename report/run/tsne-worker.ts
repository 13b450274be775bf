/**
 * Worker thread of {@link projectTsneInWorker}: runs the seeded t-SNE of `./projections.ts` on the
 * rows it is given and posts the plane coordinates back (or the error message).
 */
import { projectTsne } from './projections.js';
import type { TsneWorkerData } from './tsne-in-worker.js';
import { answerParent } from './worker-thread.js';

await answerParent((data: TsneWorkerData) => projectTsne(data.rows, data.options));
