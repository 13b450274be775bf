/**
 * Feature tables: one or more per-client Arrow files (embeddings, hand-crafted features, …)
 * inner-joined on the client id into one dense row-major matrix for LightGBM.
 *
 * Id types (documented behaviour): ids are compared by their canonical text (`7` for the
 * integer 7, the string itself for strings), so an Int32 file and an Int64 file join as
 * expected. Joining a numeric-id file with a string-id file also works through that text form,
 * but it is reported as a warning, and if no id matches at all the error says the id types differ.
 */
import { basename } from 'node:path';
import { ConfigError, DataFormatError } from '../errors.js';
import { openKeyedBatches } from './partitioned-output.js';
import { typeName } from './arrow-columns.js';
import { MODEL_SHA256_METADATA_KEY, MODEL_VERSION_METADATA_KEY } from './embedding-sink.js';
import { columnAsFloat64, isNumericColumn, readColumnTable, type ColumnTable } from './keyed-table.js';

/** A dense client × feature matrix. */
export interface FeatureTable {
  /** Canonical id per row. */
  readonly keys: readonly string[];
  /** Feature names per column (prefixed with `file:` when two files share a name). */
  readonly names: readonly string[];
  /** Row-major `rows × cols` values; NaN marks a missing value (LightGBM treats it as missing). */
  readonly X: Float64Array;
  /** Number of rows (clients in every file). */
  readonly rows: number;
  /** Number of feature columns. */
  readonly cols: number;
  /** Per file: how many of its ids were dropped by the inner join. */
  readonly dropped: readonly { readonly path: string; readonly count: number }[];
  /** Things the caller should show the user (id type mismatches, renamed columns, dropped ids). */
  readonly warnings: readonly string[];
}

/** Options of {@link readFeatureTable}. */
export interface FeatureTableOptions {
  /** Columns refused as features because they would leak the label (target names). @defaultValue `[]` */
  readonly forbidden?: readonly string[];
  /**
   * Join embedding files made by different models (their `meles.model_sha256` differ). Their
   * dimensions mean different things, so this is refused unless asked for (`--allow-mixed-models`).
   * @defaultValue `false`
   */
  readonly allowMixedModels?: boolean;
}

/** The model an embedding file records (files without the metadata, e.g. hand-crafted features, record none). */
export interface RecordedModel {
  /** `meles.model_version`, or `null`. */
  readonly version: string | null;
  /** `meles.model_sha256`. */
  readonly sha256: string;
}

/** The model recorded in `path`'s schema metadata, or `undefined` when it records none. */
export async function readRecordedModel(path: string): Promise<RecordedModel | undefined> {
  for await (const batch of openKeyedBatches(path)) {
    const sha256 = batch.schema.metadata.get(MODEL_SHA256_METADATA_KEY);
    return sha256 === undefined ? undefined : { version: batch.schema.metadata.get(MODEL_VERSION_METADATA_KEY) ?? null, sha256 };
  }
  return undefined;
}

/**
 * Refuses to join files whose recorded models differ (see {@link FeatureTableOptions.allowMixedModels}).
 * @throws ConfigError naming two such files and their hashes.
 */
export async function expectSameModel(paths: readonly string[]): Promise<void> {
  let first: { readonly path: string; readonly model: RecordedModel } | undefined;
  for (const path of paths) {
    const model = await readRecordedModel(path);
    if (model === undefined) continue;
    if (first === undefined) first = { path, model };
    else if (model.sha256 !== first.model.sha256) {
      const show = (m: RecordedModel): string => `${m.sha256}${m.version === null ? '' : ` (${m.version})`}`;
      throw new ConfigError(
        `Expected the embedding files of one feature set to come from one model, but ${first.path} was made by model ${show(first.model)} ` +
          `and ${path} by model ${show(model)}; re-embed with one model, or pass --allow-mixed-models to join them anyway`,
      );
    }
  }
}

/**
 * Reads `paths` (Arrow files, each with the id column `idColumn` and numeric feature columns)
 * and inner-joins them on the id. Row order is the first file's order.
 * @throws DataFormatError for a non-numeric feature column, a target column among the features,
 *   duplicate ids, or an empty join; ConfigError for embeddings of different models (unless allowed).
 */
export async function readFeatureTable(paths: readonly string[], idColumn: string, options: FeatureTableOptions = {}): Promise<FeatureTable> {
  if (paths.length === 0) throw new DataFormatError('Expected at least one feature file, got none');
  if (options.allowMixedModels !== true) await expectSameModel(paths);
  const tables: ColumnTable[] = [];
  for (const path of paths) tables.push(await readColumnTable(path, idColumn));
  const warnings: string[] = [];
  const kinds = new Set(tables.map((t) => t.idKind));
  if (kinds.size > 1) {
    warnings.push(`id column \`${idColumn}\` is numeric in some files and text in others (${tables.map((t) => `${t.path}: ${t.idKind}`).join(', ')}); ids are matched by their text form`);
  }
  for (const t of tables) checkColumns(t, options.forbidden ?? []);

  let common = new Set(tables[0]!.keys);
  for (const t of tables.slice(1)) {
    const here = new Set(t.keys);
    common = new Set([...common].filter((k) => here.has(k)));
  }
  const keys = tables[0]!.keys.filter((k) => common.has(k));
  if (keys.length === 0) {
    const hint = kinds.size > 1 ? ' (the id types differ between files, which is the likely cause)' : '';
    throw new DataFormatError(`No client id of \`${idColumn}\` is present in every feature file (${paths.join(', ')})${hint}`);
  }
  const dropped = tables.map((t) => ({ path: t.path, count: t.keys.length - keys.length }));
  for (const d of dropped) if (d.count > 0) warnings.push(`${d.path}: ${d.count} id(s) are missing from another feature file and were dropped (inner join)`);

  const names = columnNames(tables, warnings);
  const cols = names.length;
  const rows = keys.length;
  const X = new Float64Array(rows * cols);
  let c = 0;
  for (const t of tables) {
    const rowOf = new Map(t.keys.map((k, i) => [k, i]));
    const source = keys.map((k) => rowOf.get(k)!);
    for (let j = 0; j < t.names.length; j++) {
      const values = columnAsFloat64(t, j);
      for (let r = 0; r < rows; r++) X[r * cols + c] = values[source[r]!]!;
      c++;
    }
  }
  return { keys, names, X, rows, cols, dropped, warnings };
}

function checkColumns(t: ColumnTable, forbidden: readonly string[]): void {
  if (t.names.length === 0) throw new DataFormatError(`${t.path}: expected feature columns besides the id column, found none`);
  t.names.forEach((name, j) => {
    if (forbidden.includes(name)) {
      throw new DataFormatError(`${t.path}: column \`${name}\` is a target; a feature file must not contain the label it predicts`);
    }
    if (!isNumericColumn(t, j)) {
      throw new DataFormatError(`${t.path}: column \`${name}\`: expected a numeric feature column (integer or float), found ${typeName(t.types[j]!)}`);
    }
  });
}

/** Column names, made unique across files by prefixing the later file's base name. */
function columnNames(tables: readonly ColumnTable[], warnings: string[]): string[] {
  const used = new Set<string>();
  const names: string[] = [];
  for (const t of tables) {
    let renamed = 0;
    for (const name of t.names) {
      let unique = name;
      if (used.has(unique)) {
        unique = `${basename(t.path)}:${name}`;
        renamed++;
      }
      used.add(unique);
      names.push(unique);
    }
    if (renamed > 0) warnings.push(`${t.path}: ${renamed} column name(s) also occur in an earlier file and were prefixed with \`${basename(t.path)}:\``);
  }
  return names;
}
