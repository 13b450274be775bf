/**
 * No split (pytorch-lifestream `NoSplit`): one view holding the whole sequence. Used for
 * validation of supervised models and for inference-like batches.
 */
import { range, type Splitter } from './splitter.js';

/** One view per client: the full sequence. */
export class NoSplit implements Splitter {
  /** See {@link Splitter.split}. */
  split(length: number): Int32Array[] {
    return [range(0, length)];
  }
}
