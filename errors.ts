/**
 * Error classes shared by every layer. Callers tell them apart with `instanceof`, never by
 * matching message text. Only `cli/` turns them into exit codes.
 */

/** Base class of every error meles throws on purpose. */
export class MelesError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration, option or CLI argument is invalid. Retrying cannot fix it (exit code 2). */
export class ConfigError extends MelesError {}

/** An input file is not what the schema mapping says it is. Retrying cannot fix it (exit code 2). */
export class DataFormatError extends MelesError {}

/** Tensors or arrays have shapes that do not fit together: a programming error (exit code 1). */
export class ShapeError extends MelesError {}

/** True for errors caused by bad input, which a retry cannot fix. */
export function isBadInputError(error: unknown): error is ConfigError | DataFormatError {
  return error instanceof ConfigError || error instanceof DataFormatError;
}
