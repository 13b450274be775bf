/**
 * The flags shared by every data command: the schema mapping (`--schema FILE`, or `--id`,
 * `--time`, `--cat` (repeatable), `--num` (repeatable), `--target` (repeatable),
 * `--transform col=log`) and the as-of cut-off (`--as-of 2026-11-29`).
 */
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { parseAsOf, type AsOf } from '../data/as-of.js';
import { readSchemaMapping, validateSchemaMapping } from '../data/schema-mapping-io.js';
import type { SchemaMapping } from '../data/schema-mapping.js';

/** The parsed schema flags, as commander hands them to an action. */
export interface SchemaFlags {
  /** Path of a schema mapping JSON file. */
  readonly schema?: string;
  /** Client id column. */
  readonly id?: string;
  /** Event time column. */
  readonly time?: string;
  /** Categorical columns. @defaultValue `[]` */
  readonly cat?: string[];
  /** Numeric columns. @defaultValue `[]` */
  readonly num?: string[];
  /** Target columns. @defaultValue `[]` */
  readonly target?: string[];
  /** Numeric transforms as `column=identity|log|year`. @defaultValue `[]` */
  readonly transform?: string[];
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** The parsed `--as-of` flag. */
export interface AsOfFlags {
  /** Keep only events at or before this time (ISO date, ISO timestamp, or a number). @defaultValue every event */
  readonly asOf?: string;
}

/** Help text of `--as-of`, shared so every command words it alike. */
export const AS_OF_HELP =
  'keep only events at or before TIME: an ISO date (2026-11-29 = the whole day, UTC), an ISO timestamp, or a number for numeric time columns';

/** Adds `--as-of TIME` to `cmd` and returns it for chaining. */
export function addAsOfOption(cmd: Command): Command {
  return cmd.option('--as-of <time>', AS_OF_HELP);
}

/**
 * The cut-off of `--as-of`, as an object to spread into reader options (`{}` without the flag).
 * @throws ConfigError naming `--as-of` when it is not an ISO date, ISO timestamp or number.
 */
export function asOfFromOptions(opts: AsOfFlags): { readonly asOf?: AsOf } {
  return opts.asOf === undefined ? {} : { asOf: parseAsOf(opts.asOf, '--as-of') };
}

/** Adds the schema-mapping flags to `cmd` and returns it for chaining. */
export function addSchemaOptions(cmd: Command): Command {
  return cmd
    .option('--schema <file>', 'schema mapping JSON: {"id", "time", "categorical": [], "numeric": [], "targets": []}')
    .option('--id <column>', 'client id column (instead of --schema)')
    .option('--time <column>', 'event time column (instead of --schema)')
    .option('--cat <column>', 'categorical column (repeatable)', collect)
    .option('--num <column>', 'numeric column (repeatable)', collect)
    .option('--target <column>', 'target column (repeatable)', collect)
    .option('--transform <column=kind>', 'numeric transform identity|log|year (repeatable)', collect);
}

/**
 * Turns the flags into a validated mapping: `--schema` alone, or `--id` and `--time` (plus the
 * column flags). Mixing the two is refused so that a flag is never silently ignored.
 * @throws ConfigError for missing, conflicting or invalid flags.
 */
export async function schemaFromOptions(opts: SchemaFlags): Promise<SchemaMapping> {
  const flagged = [opts.id, opts.time, opts.cat, opts.num, opts.target, opts.transform].some((v) => v !== undefined);
  if (opts.schema !== undefined) {
    if (flagged) throw new ConfigError('Use either `--schema FILE` or the column flags `--id/--time/--cat/--num/--target/--transform`, not both');
    return readSchemaMapping(opts.schema);
  }
  if (opts.id === undefined || opts.time === undefined) {
    throw new ConfigError('A schema mapping is required: pass `--schema FILE`, or `--id COLUMN --time COLUMN` (with `--cat`/`--num` as needed)');
  }
  const transforms: Record<string, string> = {};
  for (const spec of opts.transform ?? []) {
    const [column, kind, extra] = spec.split('=');
    if (!column || !kind || extra !== undefined) {
      throw new ConfigError(`Expected \`--transform\` as column=identity|log|year, got \`${spec}\``);
    }
    transforms[column] = kind;
  }
  return validateSchemaMapping(
    { id: opts.id, time: opts.time, categorical: opts.cat ?? [], numeric: opts.num ?? [], targets: opts.target ?? [], transforms },
    'command-line flags',
  );
}
