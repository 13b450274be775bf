/**
 * One view per client for the methods that read whole ordered sequences (CPC, supervised): the
 * whole sequence with splitter `none`, otherwise one contiguous crop sized from the splitter's
 * `cntMin`/`cntMax`.
 */
import type { Rng } from '../../data/random.js';
import { ConfigError } from '../../errors.js';
import { createSplitter, type SplitterConfig } from '../../sampling/create-splitter.js';
import { SampleRandom } from '../../sampling/sample-random.js';
import { SampleSlices } from '../../sampling/sample-slices.js';
import { range, type Splitter } from '../../sampling/splitter.js';

/**
 * `'max'`: `min(length, cntMax)` events at a uniform start (ptls `CpcDataset` crops to its max
 * length); `'slice'`: a length uniform in [cntMin, cntMax] (capped at the sequence) at a uniform
 * start (ptls `RandomSlice`, the supervised augmentation).
 */
export type CropMode = 'max' | 'slice';

/** A splitter giving each client exactly one view, as described in the module comment. */
export function cropSplitter(config: SplitterConfig, mode: CropMode): Splitter {
  const splitter = createSplitter(config);
  if (config.kind === 'none') return splitter;
  if (!(splitter instanceof SampleSlices || splitter instanceof SampleRandom)) {
    throw new ConfigError(`Whole-sequence methods take splitter 'none', 'slices' or 'random', got '${config.kind}'`);
  }
  const { cntMin, cntMax } = splitter.options;
  return {
    split(length: number, rng: Rng): Int32Array[] {
      const want = mode === 'max' ? cntMax : rng.int(cntMin, cntMax);
      const keep = Math.min(length, want);
      const start = length > keep ? rng.int(0, length - keep) : 0;
      return [range(start, keep)];
    },
  };
}
