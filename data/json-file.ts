/**
 * Reading JSON files with one error policy, used by every JSON-file read in meles:
 * - the file cannot be read → `<path>: cannot read <what> (<code>)`;
 * - the text is not JSON → `<path>: expected <what> as JSON, found invalid JSON at …`;
 * - the value does not fit the zod schema → `<path>: expected <what>, found … at field \`a.b\``.
 * Every error is a {@link DataFormatError} naming the file, unless the caller says the file is the
 * user's own configuration (train.json, pipeline.json, schema.json), where {@link ConfigError} fits.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { DataFormatError, type ConfigError } from '../errors.js';

/** The error classes a JSON file read may throw. */
export type FileErrorClass = typeof ConfigError | typeof DataFormatError;

/** Options of {@link readJsonFile} and {@link readTextFile}. */
export interface ReadJsonOptions {
  /** Class of every error (cannot read, invalid JSON, schema mismatch). @defaultValue `DataFormatError` */
  readonly errorClass?: FileErrorClass;
  /**
   * Class of the "cannot read" error only: a missing file is usually a wrong path (a bad flag),
   * while a present but corrupt file is bad data.
   * @defaultValue `errorClass`
   */
  readonly unreadableErrorClass?: FileErrorClass;
  /** A sentence appended to the "cannot read" message, e.g. `is this a meles model directory?`. @defaultValue none */
  readonly unreadableHint?: string;
}

/**
 * Reads a whole text file.
 * @throws the configured error class (default {@link DataFormatError}) naming the file and the OS error code.
 */
export async function readTextFile(path: string, what: string, options: ReadJsonOptions = {}): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const ErrorClass = options.unreadableErrorClass ?? options.errorClass ?? DataFormatError;
    const hint = options.unreadableHint === undefined ? '' : `; ${options.unreadableHint}`;
    throw new ErrorClass(`${path}: cannot read ${what} (${(error as NodeJS.ErrnoException).code ?? String(error)})${hint}`, { cause: error });
  }
}

/**
 * Reads `path` as JSON and checks it against `schema` (whose output it returns).
 * @param what - what the file holds, for messages (`training config`, `model registry`).
 * @throws see the module comment; the class is `options.errorClass` (default {@link DataFormatError}).
 */
export async function readJsonFile<S extends z.ZodType>(path: string, what: string, schema: S, options: ReadJsonOptions = {}): Promise<z.output<S>> {
  return parseJsonText(await readTextFile(path, what, options), path, what, schema, options);
}

/**
 * Like {@link readJsonFile}, but a file that does not exist (ENOENT) gives `undefined`: for files
 * that are created on first use (a registry index, a stage manifest).
 */
export async function readOptionalJsonFile<S extends z.ZodType>(path: string, what: string, schema: S, options: ReadJsonOptions = {}): Promise<z.output<S> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return readJsonFile(path, what, schema, options); // the same failure, reported by the one policy
  }
  return parseJsonText(text, path, what, schema, options);
}

/** Parses JSON text that came from `path` and checks it against `schema`, with the messages of {@link readJsonFile}. */
export function parseJsonText<S extends z.ZodType>(text: string, path: string, what: string, schema: S, options: ReadJsonOptions = {}): z.output<S> {
  const ErrorClass = options.errorClass ?? DataFormatError;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ErrorClass(`${path}: expected ${what} as JSON, found invalid JSON at ${locate(text, error as Error)} (${(error as Error).message})`, { cause: error });
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.length === 0 ? 'the top level' : `field \`${fieldPath(issue.path)}\``;
  const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem(s))` : '';
  throw new ErrorClass(`${path}: expected ${what}, found a problem at ${field}: ${issue.message}${more}`, { cause: parsed.error });
}

/** `files.embeddings[0].path`, as zod's own pretty errors write a field's path. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? String(key) : `.${String(key)}`)).join('');
}

/** `line L column C` of a JSON.parse failure, from the position V8 reports (or the end of the text). */
function locate(text: string, error: Error): string {
  const match = /position (\d+)/.exec(error.message);
  const at = match ? Number(match[1]) : text.length;
  const before = text.slice(0, at);
  const line = before.split('\n').length;
  const column = at - before.lastIndexOf('\n');
  return `line ${line} column ${column}`;
}
