/**
 * The `threads` setting of training (`meles train --threads`, `meles demo --threads`,
 * `MELES_THREADS`): a count, or `auto` for the machine's cores capped at {@link AUTO_THREADS_CAP}.
 */
import { availableParallelism } from 'node:os';
import { ConfigError } from '../../errors.js';

/** Most training threads accepted (each worker costs a tfjs backend and a copy of the model). */
export const MAX_TRAINING_THREADS = 64;

/** `auto` never uses more threads than this: one shard per core paid off up to 2 cores (docs/PERFORMANCE.md, "Both cores"); more was not measured. */
export const AUTO_THREADS_CAP = 2;

/** Environment variable that sets the training threads where no flag or option does (the pipeline's train stage, its workers). */
export const THREADS_ENV = 'MELES_THREADS';

/** A threads setting as given: a count or `'auto'`. */
export type ThreadsSetting = number | 'auto';

/** What `auto` means on this machine: its cores, at most {@link AUTO_THREADS_CAP}. */
export function autoThreads(): number {
  return Math.max(1, Math.min(AUTO_THREADS_CAP, availableParallelism()));
}

/**
 * Parses a threads setting from text (a flag or the environment): an integer from 1 to
 * `MAX_TRAINING_THREADS`, or `auto`. `name` goes into the error message.
 */
export function parseThreads(name: string, text: string): ThreadsSetting {
  const trimmed = text.trim();
  if (trimmed === 'auto') return 'auto';
  const value = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || value < 1 || value > MAX_TRAINING_THREADS) {
    throw new ConfigError(`Expected \`${name}\` to be an integer from 1 to ${MAX_TRAINING_THREADS} or \`auto\`, got \`${text}\``);
  }
  return value;
}

/** The thread count of a setting (`auto` → {@link autoThreads}). */
export function resolveThreads(setting: ThreadsSetting): number {
  return setting === 'auto' ? autoThreads() : setting;
}

/** `MELES_THREADS` as a setting, or `undefined` when it is unset or empty. */
export function threadsFromEnvironment(): ThreadsSetting | undefined {
  const text = process.env[THREADS_ENV];
  return text === undefined || text.trim() === '' ? undefined : parseThreads(THREADS_ENV, text);
}
