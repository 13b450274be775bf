/**
 * How errors leave a job: bad input (ConfigError, DataFormatError) becomes BullMQ's
 * `UnrecoverableError`, so it fails once instead of being retried; anything else propagates and
 * BullMQ's backoff retries it. Messages are redacted on the way out, since they end up in Redis
 * and in `meles status`.
 */
import { UnrecoverableError } from 'bullmq';
import { isBadInputError } from '../../errors.js';
import { redact } from './redis-url.js';

/** The error a job processor should throw for `error`; see the module comment. */
export function toJobError(error: unknown, secrets: readonly (string | undefined)[] = []): Error {
  const message = redact(error instanceof Error ? error.message : String(error), secrets);
  if (isBadInputError(error)) {
    const unrecoverable = new UnrecoverableError(`${error.name}: ${message}`);
    return unrecoverable;
  }
  if (error instanceof Error) {
    error.message = message;
    if (error.stack) error.stack = redact(error.stack, secrets);
    return error;
  }
  return new Error(message);
}

/** The same error with its message and stack redacted (class kept, so CLI exit codes still apply). */
export function redactError(error: unknown, secrets: readonly (string | undefined)[] = []): unknown {
  if (!(error instanceof Error)) return new Error(redact(String(error), secrets));
  error.message = redact(error.message, secrets);
  if (error.stack) error.stack = redact(error.stack, secrets);
  return error;
}
