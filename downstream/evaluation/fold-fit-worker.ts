/**
 * Worker thread of {@link FoldFitPool}: runs {@link fitFold} on every task it is sent and posts
 * the predictions back, or the error (LightGBM keeps its last error per thread, so its message
 * is read here, in the thread that failed). A `stop` message closes its port, and the thread ends.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { lgbm } from '../lightgbm/native.js';
import { fitFold, transferList } from './fold-fit.js';
import { foldFitErrorKind, type FoldFitReply, type FoldFitRequest, type FoldFitWorkerData } from './fold-fit-pool.js';

// On Linux the nice value belongs to the thread (and to the OpenMP threads LightGBM starts from
// it), so this lowers only this fit thread. Elsewhere (macOS, the BSDs) it would lower the whole
// process, training included, so it is not set there. A system that refuses keeps the thread as it is.
const { priority } = workerData as FoldFitWorkerData;
if (priority !== 0 && process.platform === 'linux') {
  try {
    setPriority(priority);
  } catch {
    // Raising priority needs privileges; the fits are the same either way.
  }
}

const port = parentPort!;
port.on('message', (request: FoldFitRequest) => {
  if (request.kind === 'stop') {
    port.close(); // nothing else keeps this thread alive: it exits
    return;
  }
  let reply: FoldFitReply;
  try {
    const result = fitFold(request.task);
    reply = { id: request.id, kind: 'done', result };
    port.postMessage(reply, transferList([result.heldPred, result.testPred, result.gain]));
  } catch (error) {
    reply = { id: request.id, kind: 'error', error: foldFitErrorKind(error), message: error instanceof Error ? error.message : String(error) };
    port.postMessage(reply);
  }
});
// Load LightGBM's bindings before saying `ready`, so the load never overlaps a stop or a task.
try {
  lgbm();
} catch {
  // The first task reports the reason (fitFold calls lgbm() again, and it throws the same error).
}
port.postMessage({ kind: 'ready' } satisfies FoldFitReply);
