/**
 * Random sorted subsets (pytorch-lifestream `SampleRandom`): each view keeps `min(l, length)`
 * events chosen without replacement, in time order, not contiguous. As in the reference, `l` is
 * uniform on [cntMin, cntMax) with the upper end exclusive, and only then capped at the length, so
 * short sequences come back whole more often than any other size.
 */
import type { Rng } from '../data/random.js';
import { ConfigError } from '../errors.js';
import { expectInteger, expectKnownKeys } from '../options.js';
import type { Splitter } from './splitter.js';

/** Options of {@link SampleRandom}. */
export interface SampleRandomOptions {
  /** Views per client. Minimum: `1`. @defaultValue `5` */
  readonly splitCount: number;
  /** Smallest drawn view length, in events (shorter sequences come back whole). Minimum: `1`. @defaultValue `25` */
  readonly cntMin: number;
  /** Exclusive upper bound of the drawn view length; must be >= `cntMin` (equal means exactly `cntMin`). @defaultValue `200` */
  readonly cntMax: number;
}

/** Defaults of {@link SampleRandom}. */
export const SAMPLE_RANDOM_DEFAULTS: SampleRandomOptions = { splitCount: 5, cntMin: 25, cntMax: 200 };

/** Spreads the defaults over `partial` and validates the result. */
export function resolveSampleRandomOptions(partial: Partial<SampleRandomOptions> = {}): SampleRandomOptions {
  expectKnownKeys('SampleRandom options', partial, Object.keys(SAMPLE_RANDOM_DEFAULTS));
  const o = { ...SAMPLE_RANDOM_DEFAULTS, ...partial };
  expectInteger('splitCount', o.splitCount, 1);
  expectInteger('cntMin', o.cntMin, 1);
  expectInteger('cntMax', o.cntMax, 1);
  if (o.cntMax < o.cntMin) throw new ConfigError(`\`cntMax\` must be >= \`cntMin\` (got ${o.cntMax} < ${o.cntMin})`);
  return o;
}

/** Sorted random subsets of each sequence. */
export class SampleRandom implements Splitter {
  /** The validated options. */
  readonly options: SampleRandomOptions;

  /** @param options - partial options; missing fields take {@link SAMPLE_RANDOM_DEFAULTS}. */
  constructor(options: Partial<SampleRandomOptions> = {}) {
    this.options = resolveSampleRandomOptions(options);
  }

  /** See {@link Splitter.split}. */
  split(length: number, rng: Rng): Int32Array[] {
    const { splitCount, cntMin, cntMax } = this.options;
    // numpy's randint(cntMin, cntMax) needs cntMax > cntMin; when they are equal the only length is cntMin.
    const high = Math.max(cntMin, cntMax - 1);
    const views: Int32Array[] = [];
    for (let k = 0; k < splitCount; k++) views.push(sortedSample(length, Math.min(rng.int(cntMin, high), length), rng));
    return views;
  }
}

/**
 * `count` distinct indices of 0..length-1, ascending, every subset equally likely
 * (selection sampling, Knuth's Algorithm S: one pass, already sorted, no shuffle buffer).
 */
export function sortedSample(length: number, count: number, rng: Rng): Int32Array {
  const out = new Int32Array(count);
  let chosen = 0;
  for (let i = 0; i < length && chosen < count; i++) {
    if ((length - i) * rng.next() < count - chosen) out[chosen++] = i;
  }
  return out;
}
