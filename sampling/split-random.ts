/**
 * Random disjoint parts (pytorch-lifestream `SplitRandom`): every event goes to one of
 * `splitCount` parts uniformly at random; each part keeps its first `cntMax` events in time order.
 * The reference's `cnt_min` has no effect there, so it is not an option here.
 */
import type { Rng } from '../data/random.js';
import { expectInteger, expectKnownKeys } from '../options.js';
import type { Splitter } from './splitter.js';

/** Options of {@link SplitRandom}. */
export interface SplitRandomOptions {
  /** Number of disjoint parts (views) per client. Minimum: `1`. @defaultValue `5` */
  readonly splitCount: number;
  /** Longest part, in events; longer parts are truncated to their first `cntMax` events. Minimum: `1`. @defaultValue `200` */
  readonly cntMax: number;
}

/** Defaults of {@link SplitRandom}. */
export const SPLIT_RANDOM_DEFAULTS: SplitRandomOptions = { splitCount: 5, cntMax: 200 };

/** Spreads the defaults over `partial` and validates the result. */
export function resolveSplitRandomOptions(partial: Partial<SplitRandomOptions> = {}): SplitRandomOptions {
  expectKnownKeys('SplitRandom options', partial, Object.keys(SPLIT_RANDOM_DEFAULTS));
  const o = { ...SPLIT_RANDOM_DEFAULTS, ...partial };
  expectInteger('splitCount', o.splitCount, 1);
  expectInteger('cntMax', o.cntMax, 1);
  return o;
}

/** Random disjoint parts of each sequence. */
export class SplitRandom implements Splitter {
  /** The validated options. */
  readonly options: SplitRandomOptions;

  /** @param options - partial options; missing fields take {@link SPLIT_RANDOM_DEFAULTS}. */
  constructor(options: Partial<SplitRandomOptions> = {}) {
    this.options = resolveSplitRandomOptions(options);
  }

  /** See {@link Splitter.split}. */
  split(length: number, rng: Rng): Int32Array[] {
    const { splitCount, cntMax } = this.options;
    const part = new Int32Array(length);
    const sizes = new Int32Array(splitCount);
    for (let i = 0; i < length; i++) {
      const k = rng.int(0, splitCount - 1);
      part[i] = k;
      sizes[k]!++;
    }
    const views = Array.from(sizes, (size) => new Int32Array(Math.min(size, cntMax)));
    const filled = new Int32Array(splitCount);
    for (let i = 0; i < length; i++) {
      const k = part[i]!;
      if (filled[k]! < views[k]!.length) views[k]![filled[k]!++] = i;
    }
    return views;
  }
}
