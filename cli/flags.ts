/**
 * Parsers for numeric (and file-list) command-line flags. Commander hands every value over as text; these refuse
 * what `Number`/`parseInt` would quietly accept (`12abc`, `1e3` for an integer, an empty string)
 * and name the flag in the message. Range checks of options live with the options they check
 * (`resolveXxxOptions`), so a flag and a config file key get the same rule.
 */
import { ConfigError } from '../errors.js';

/** Parses an integer flag strictly: optional sign and digits only. */
export function integerFlag(flag: string, text: string): number {
  const value = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) throw new ConfigError(`Expected \`${flag}\` to be an integer, got \`${text}\` (string)`);
  return value;
}

/** {@link integerFlag} for a flag without a default: `undefined` when it was not given. */
export function optionalIntegerFlag(flag: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : integerFlag(flag, text);
}

/** Parses a finite number flag (`0.5`, `1e-3`); empty text and `Infinity` are refused. */
export function numberFlag(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new ConfigError(`Expected \`${flag}\` to be a number, got \`${text}\` (string)`);
  return value;
}

/** {@link numberFlag} for a flag without a default: `undefined` when it was not given. */
export function optionalNumberFlag(flag: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : numberFlag(flag, text);
}

/** Parses a comma-separated list of files (`a.arrow,b.arrow`); blanks are dropped, an empty list is refused. */
export function pathListFlag(flag: string, text: string): string[] {
  const paths = text.split(',').map((p) => p.trim()).filter((p) => p.length > 0);
  if (paths.length === 0) throw new ConfigError(`Expected \`${flag}\` to list one or more files separated by commas, got \`${text}\``);
  return paths;
}
