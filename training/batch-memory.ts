/**
 * Whether a training batch can fit the tfjs wasm heap (wasm32: 4 GiB at most), asked before the
 * step runs, and what to say when it cannot. A batch too big for the heap used to abort deep inside
 * a kernel (`RuntimeError: Aborted()`) after allocating for seconds; now the step is refused up
 * front when even a lower bound of what the backward pass must keep exceeds the heap, and an abort
 * that still happens (the bound is deliberately low) is turned into the same message. Both name
 * the options to lower with their current values.
 */
import type { BackendName } from '../encoders/backend.js';
import type { EncoderConfig } from '../encoders/encoder-config.js';
import { MelesError } from '../errors.js';
import type { TrainingOptions } from './training-options.js';

/** The wasm32 heap's ceiling: 4 GiB. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/**
 * A lower bound of the bytes a train step keeps for its backward pass over `events` events: per
 * event and layer (and direction), an RNN's tape holds at least its gates and the previous state
 * (GRU 3H + H, LSTM 4H + H floats); a Transformer layer at least the queries, keys, values and
 * attention output (4H) plus the feed-forward activations. Kernels' workspaces, weights, Adam's
 * moments and the gradients come on top, so a batch over this bound can never fit.
 */
export function trainStepLowerBoundBytes(events: number, config: EncoderConfig): number {
  const s = config.sequence;
  const floatsPerEvent = s.kind === 'transformer' ? s.layers * (4 * s.hidden + s.feedForward) : s.layers * (s.bidirectional ? 2 : 1) * ((s.kind === 'gru' ? 3 : 4) * s.hidden + s.hidden);
  return events * floatsPerEvent * 4;
}

/** The options that size a batch, with their current values, for messages. */
function whatToLower(events: number, config: EncoderConfig, options: TrainingOptions): string {
  const s = config.sequence;
  const splitter = options.splitter;
  const viewLength = 'cntMax' in splitter && splitter.cntMax !== undefined ? `the splitter's \`cntMax\` (view length, now ${splitter.cntMax})` : "the view length (the splitter's `cntMax`, or the data's `--max-events`)";
  const views = 'splitCount' in splitter && splitter.splitCount !== undefined ? ` × ${splitter.splitCount} views` : '';
  const size = s.kind === 'transformer' ? `\`hidden\`/\`feedForward\`/\`layers\` (now ${s.hidden}/${s.feedForward}/${s.layers}; attention also grows with heads × length²)` : `\`hidden\` (--hidden, now ${s.hidden}) or \`layers\` (now ${s.layers}${s.bidirectional ? ', bidirectional' : ''})`;
  return `a batch of ${events} events (${options.batchSize} clients${views}): lower \`batchSize\` (--batch-size, now ${options.batchSize}), ${viewLength}, or ${size}`;
}

/**
 * Refuses a batch whose lower bound ({@link trainStepLowerBoundBytes}) exceeds the wasm heap, before
 * any of it is allocated. With `threads` > 1 each worker has a heap of its own and runs about
 * `events / threads` of the batch. Other backends are not bounded by the wasm heap and pass.
 * @throws MelesError naming the estimate, the heap and the options to lower.
 */
export function checkBatchFitsHeap(events: number, threads: number, config: EncoderConfig, options: TrainingOptions, backend: BackendName): void {
  if (backend !== 'wasm') return;
  const bytes = trainStepLowerBoundBytes(Math.ceil(events / threads), config);
  if (bytes <= WASM_HEAP_BYTES) return;
  throw new MelesError(
    `This train step needs at least ${gb(bytes)} GB for its backward pass${threads > 1 ? ` per thread (${threads} threads)` : ''}, more than the tfjs wasm heap (${gb(WASM_HEAP_BYTES)} GB at most), for ${whatToLower(events, config, options)}`,
  );
}

/**
 * Runs `step`, turning a wasm abort (the heap is full) into an error that says what to lower. The
 * backend is unusable afterwards, so the process should exit.
 */
export async function explainHeapExhaustion<T>(events: number, config: EncoderConfig, options: TrainingOptions, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof Error && (error.name === 'RuntimeError' || /^Aborted\(|memory access out of bounds|table index is out of bounds/.test(error.message))) {
      throw new MelesError(`The tfjs wasm heap (${gb(WASM_HEAP_BYTES)} GB at most) ran out on ${whatToLower(events, config, options)}`, { cause: error });
    }
    throw error;
  }
}

function gb(bytes: number): string {
  return (bytes / 1024 ** 3).toFixed(1);
}
