/**
 * Worker thread of {@link projectSetInWorker}: projects and scores one embedding sample with every
 * method, all in this thread, and posts the scored projections back (or the error message).
 */
import { projectSet, type SetWorkerData } from './project-set.js';
import { answerParent } from './worker-thread.js';

await answerParent((data: SetWorkerData) => projectSet(data.rows, { seed: data.seed, tsneSteps: data.tsneSteps, tsneOnWorker: false }));
