/**
 * Evenly spaced windows (pytorch-lifestream `SampleUniform`): `splitCount` windows of `seqLen`
 * events starting at `round(linspace(0, length - seqLen, splitCount))`. Deterministic; the RNG is
 * not used. Sequences with `length <= seqLen + splitCount` give full copies, as in the reference.
 */
import { expectInteger, expectKnownKeys } from '../options.js';
import { fullCopies, range, type Splitter } from './splitter.js';

/** Options of {@link SampleUniform}. */
export interface SampleUniformOptions {
  /** Windows per client. Minimum: `1`. @defaultValue `5` */
  readonly splitCount: number;
  /** Window length, in events. Minimum: `1`. @defaultValue `100` */
  readonly seqLen: number;
}

/** Defaults of {@link SampleUniform}. */
export const SAMPLE_UNIFORM_DEFAULTS: SampleUniformOptions = { splitCount: 5, seqLen: 100 };

/** Spreads the defaults over `partial` and validates the result. */
export function resolveSampleUniformOptions(partial: Partial<SampleUniformOptions> = {}): SampleUniformOptions {
  expectKnownKeys('SampleUniform options', partial, Object.keys(SAMPLE_UNIFORM_DEFAULTS));
  const o = { ...SAMPLE_UNIFORM_DEFAULTS, ...partial };
  expectInteger('splitCount', o.splitCount, 1);
  expectInteger('seqLen', o.seqLen, 1);
  return o;
}

/** Evenly spaced fixed-length windows. */
export class SampleUniform implements Splitter {
  /** The validated options. */
  readonly options: SampleUniformOptions;

  /** @param options - partial options; missing fields take {@link SAMPLE_UNIFORM_DEFAULTS}. */
  constructor(options: Partial<SampleUniformOptions> = {}) {
    this.options = resolveSampleUniformOptions(options);
  }

  /** See {@link Splitter.split}. */
  split(length: number): Int32Array[] {
    const { splitCount, seqLen } = this.options;
    if (length <= seqLen + splitCount) return fullCopies(length, splitCount);
    const last = length - seqLen;
    const views: Int32Array[] = [];
    for (let k = 0; k < splitCount; k++) {
      // numpy linspace with one point gives just the start.
      const at = splitCount === 1 ? 0 : (last * k) / (splitCount - 1);
      views.push(range(roundHalfEven(at), seqLen));
    }
    return views;
  }
}

/** numpy's `round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
