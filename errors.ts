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

/** Why Redis could not be used; see {@link RedisUnavailableError}. */
export type RedisFailureKind =
  | 'refused' // nothing accepts connections at host:port (ECONNREFUSED)
  | 'unreachable' // no route to the host or network
  | 'dns' // the host name did not resolve
  | 'auth' // the server refused the password or requires one (WRONGPASS, NOAUTH)
  | 'tls' // TLS handshake failed or timed out (rediss:// against plain Redis, untrusted certificate)
  | 'closed' // the server closed the connection without answering (redis:// against a TLS-only server)
  | 'timeout' // no answer within the connect timeout
  | 'error'; // the server answered PING with another error (LOADING, DENIED, max clients, …)

/**
 * Redis cannot be used: down, refusing the password, speaking (or not speaking) TLS, unknown
 * host or silent. The message names the (redacted) URL and the server's own reason. Retrying
 * later may help, but not within one CLI call (exit code 3).
 */
export class RedisUnavailableError extends MelesError {
  constructor(
    message: string,
    /** The kind of failure, for callers that treat e.g. authentication differently. */
    readonly kind: RedisFailureKind,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
