/**
 * Builds a splitter from a plain, JSON-friendly config (CLI flags, job payloads, checkpoints).
 */
import { ConfigError } from '../errors.js';
import { NoSplit } from './no-split.js';
import { SampleRandom, type SampleRandomOptions } from './sample-random.js';
import { SampleSlices, type SampleSlicesOptions } from './sample-slices.js';
import { SampleUniform, type SampleUniformOptions } from './sample-uniform.js';
import { SplitRandom, type SplitRandomOptions } from './split-random.js';
import type { Splitter } from './splitter.js';

/** A splitter described as data; `kind` picks the class, the other fields are its options. */
export type SplitterConfig =
  | ({ readonly kind: 'slices' } & Partial<SampleSlicesOptions>)
  | ({ readonly kind: 'random' } & Partial<SampleRandomOptions>)
  | ({ readonly kind: 'split-random' } & Partial<SplitRandomOptions>)
  | ({ readonly kind: 'uniform' } & Partial<SampleUniformOptions>)
  | { readonly kind: 'none' };

/** The MeLES default: 5 random slices of 25..200 events. */
export const DEFAULT_SPLITTER: SplitterConfig = { kind: 'slices', splitCount: 5, cntMin: 25, cntMax: 200 };

/** Creates the splitter a config describes; throws {@link ConfigError} on unknown kinds or bad options. */
export function createSplitter(config: SplitterConfig): Splitter {
  switch (config.kind) {
    case 'slices': {
      const { kind: _kind, ...options } = config;
      return new SampleSlices(options);
    }
    case 'random': {
      const { kind: _kind, ...options } = config;
      return new SampleRandom(options);
    }
    case 'split-random': {
      const { kind: _kind, ...options } = config;
      return new SplitRandom(options);
    }
    case 'uniform': {
      const { kind: _kind, ...options } = config;
      return new SampleUniform(options);
    }
    case 'none': {
      const { kind: _kind, ...rest } = config;
      if (Object.keys(rest).length > 0) throw new ConfigError(`Splitter kind \`none\` takes no options, got \`${Object.keys(rest).join('`, `')}\``);
      return new NoSplit();
    }
    default: {
      const unknown: { kind?: unknown } = config;
      throw new ConfigError(
        `Expected splitter \`kind\` to be one of \`slices\`, \`random\`, \`split-random\`, \`uniform\`, \`none\`, got \`${String(unknown.kind)}\` (${typeof unknown.kind})`,
      );
    }
  }
}
