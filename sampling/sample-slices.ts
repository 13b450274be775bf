/**
 * Random contiguous slices (pytorch-lifestream `SampleSlices`): the MeLES default splitter.
 * Slices may overlap; lengths are uniform on [cntMin', cntMax'] with both ends inclusive and
 * starts are uniform over every position where the slice fits.
 */
import type { Rng } from '../data/random.js';
import { ConfigError } from '../errors.js';
import { expectInteger, expectKnownKeys, expectNumber } from '../options.js';
import { fullCopies, range, type Splitter } from './splitter.js';

/** Options of {@link SampleSlices}. */
export interface SampleSlicesOptions {
  /** Views per client. Minimum: `1`. @defaultValue `5` */
  readonly splitCount: number;
  /** Shortest slice, in events. Minimum: `1`. @defaultValue `25` */
  readonly cntMin: number;
  /** Longest slice, in events; must be >= `cntMin`. @defaultValue `200` */
  readonly cntMax: number;
  /**
   * For sequences shorter than about `cntMin / shortSeqCropRate`: the shortest slice becomes
   * `floor(shortSeqCropRate * length)`. `1` returns full copies of sequences with `length <= cntMin`.
   * Range: (0, 1]. @defaultValue `1`
   */
  readonly shortSeqCropRate: number;
}

/** The pytorch-lifestream MeLES age_pred training defaults. */
export const SAMPLE_SLICES_DEFAULTS: SampleSlicesOptions = { splitCount: 5, cntMin: 25, cntMax: 200, shortSeqCropRate: 1 };

/** Spreads the defaults over `partial` and validates the result. */
export function resolveSampleSlicesOptions(partial: Partial<SampleSlicesOptions> = {}): SampleSlicesOptions {
  expectKnownKeys('SampleSlices options', partial, Object.keys(SAMPLE_SLICES_DEFAULTS));
  const o = { ...SAMPLE_SLICES_DEFAULTS, ...partial };
  expectInteger('splitCount', o.splitCount, 1);
  expectInteger('cntMin', o.cntMin, 1);
  expectInteger('cntMax', o.cntMax, 1);
  if (o.cntMax < o.cntMin) throw new ConfigError(`\`cntMax\` must be >= \`cntMin\` (got ${o.cntMax} < ${o.cntMin})`);
  expectNumber('shortSeqCropRate', o.shortSeqCropRate, Number.MIN_VALUE, 1);
  return o;
}

/** Random, possibly overlapping, contiguous slices of each sequence. */
export class SampleSlices implements Splitter {
  /** The validated options. */
  readonly options: SampleSlicesOptions;

  /** @param options - partial options; missing fields take {@link SAMPLE_SLICES_DEFAULTS}. */
  constructor(options: Partial<SampleSlicesOptions> = {}) {
    this.options = resolveSampleSlicesOptions(options);
  }

  /** See {@link Splitter.split}. */
  split(length: number, rng: Rng): Int32Array[] {
    const { splitCount, cntMin, cntMax, shortSeqCropRate } = this.options;
    if (length <= cntMin && shortSeqCropRate >= 1) return fullCopies(length, splitCount);
    let low = cntMin;
    const cropped = Math.floor(length * shortSeqCropRate);
    // The reference allows a 0-length minimum here; a 0-event view carries no signal and breaks
    // last-step encoders, so the minimum is kept at 1 for non-empty sequences.
    if (shortSeqCropRate < 1 && cropped <= cntMin) low = Math.max(cropped, Math.min(1, length));
    const high = Math.min(cntMax, length);
    if (low > high) low = high;
    const views: Int32Array[] = [];
    for (let k = 0; k < splitCount; k++) {
      const count = rng.int(low, high);
      const start = rng.int(0, Math.max(length - count, 0));
      views.push(range(start, count));
    }
    return views;
  }
}
