/**
 * One job on a worker thread, for the report's projections (issue 16: the report spreads its
 * projections over the cores). The worker file is a `.mjs` that registers tsx and imports the real
 * `.ts` worker, because `npx meles` registers tsx inside bin/meles rather than through `--import`,
 * so a fresh thread would not know TypeScript; the `.ts` worker answers with {@link answerParent}.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { MelesError } from '../../errors.js';

/** What a worker posts back: its result, or the message of the error it threw. */
export type WorkerReply<R> = { readonly kind: 'done'; readonly value: R } | { readonly kind: 'error'; readonly message: string };

/**
 * Starts `file` on a new worker thread with `data` as its `workerData`; the promise settles with
 * the value the worker posts.
 * @param job - what the worker does, for messages, e.g. `t-SNE`.
 * @throws MelesError `<job> failed in its worker thread: <message>` when the worker's job threw,
 *   or naming the thread failure when the thread itself failed or exited without an answer.
 */
export function runInWorker<D, R>(file: URL, data: D, job: string): Promise<R> {
  const thread = new Worker(file, { workerData: data });
  return new Promise((resolve, reject) => {
    let settled = false;
    thread.once('message', (reply: WorkerReply<R>) => {
      settled = true;
      if (reply.kind === 'done') resolve(reply.value);
      else reject(new MelesError(`${job} failed in its worker thread: ${reply.message}`));
    });
    thread.once('error', (error: Error) => {
      settled = true;
      reject(new MelesError(`The ${job} worker thread failed: ${error.message}`, { cause: error }));
    });
    thread.once('exit', (code) => {
      if (!settled) reject(new MelesError(`The ${job} worker thread exited (code ${code}) without a result`));
    });
  });
}

/**
 * Worker side of {@link runInWorker}: runs `job` on this thread's `workerData` and posts its
 * result, or the message of the error it threw, to the parent thread.
 */
export async function answerParent<D, R>(job: (data: D) => R | Promise<R>): Promise<void> {
  let reply: WorkerReply<R>;
  try {
    reply = { kind: 'done', value: await job(workerData as D) };
  } catch (error) {
    reply = { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  parentPort!.postMessage(reply);
}
