/**
 * Worker thread of {@link FoldFitPool}: runs {@link fitFold} on every task it is sent and posts
 * the predictions back, or the error (LightGBM keeps its last error per thread, so its message
 * is read here, in the thread that failed).
 */
import { parentPort } from 'node:worker_threads';
import { fitFold, transferList } from './fold-fit.js';
import { foldFitErrorKind, type FoldFitReply, type FoldFitRequest } from './fold-fit-pool.js';

const port = parentPort!;
port.on('message', (request: FoldFitRequest) => {
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
// Loaded (tsx, LightGBM's bindings): tasks may come. Until now the pool fitted in its own thread.
port.postMessage({ kind: 'ready' } satisfies FoldFitReply);
