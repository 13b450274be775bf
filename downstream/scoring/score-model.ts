/**
 * `scoreModel`: applies a model directory (`meles fit --out`) to feature files and writes one
 * row of predictions per client, keyed by the input's id column (same name, same type):
 * - binary: `p_<positive class>` and `prediction` (the positive class when p >= 0.5);
 * - multiclass: `p_<class>` per class (label order) and `prediction`, the most probable class.
 * `prediction` holds class values as Int32 when every class value is an integer, else as text.
 */
import { join } from 'node:path';
import { RecordBatch, Schema, Table } from 'apache-arrow';
import { tableFromColumns, writeArrowTable, type ColumnValues } from '../../data/arrow-sink.js';
import { SCORING_MODEL_SHA256_METADATA_KEY } from '../../data/embedding-sink.js';
import { ID_COLUMN_METADATA_KEY } from '../../data/keyed-sink.js';
import { checkOutputs } from '../../data/output-guard.js';
import { ConfigError, DataFormatError } from '../../errors.js';
import { Booster } from '../lightgbm/index.js';
import { fileColumns, idsOfType, readScoringMatrix } from './feature-input.js';
import { FIT_FILE, MODEL_FILE, readModelArtefact, type FitDescription } from './model-artefact.js';

/** Options of {@link scoreModel}. */
export interface ScoreOptions {
  /** Model directory written by `fitModel`. */
  readonly model: string;
  /** Feature Arrow files, one per feature file of the fit and in the same order. */
  readonly features: readonly string[];
  /** Output Arrow file; must not be one of the inputs. */
  readonly out: string;
  /** Client id column of the feature files. @defaultValue the fit's id column */
  readonly idColumn?: string;
}

/** What {@link scoreModel} wrote. */
export interface ScoreResult {
  /** Rows (clients) written. */
  readonly rows: number;
  /** Column names of the output, id column first. */
  readonly columns: readonly string[];
  /** Things to show the user (ids dropped by the join). */
  readonly warnings: readonly string[];
}

/**
 * Scores the feature files and writes the predictions atomically.
 * @throws ConfigError when `out` is one of the inputs or the number of feature files differs from
 *   the fit's; DataFormatError for a missing feature column (naming it and the file) or a bad model directory.
 */
export async function scoreModel(options: ScoreOptions): Promise<ScoreResult> {
  await refuseOverwritingInputs(options);
  const { fit, modelText } = await readModelArtefact(options.model);
  if (options.features.length !== fit.featureFiles.length) {
    throw new ConfigError(
      `Expected ${fit.featureFiles.length} feature file(s) for the model in ${options.model} (fit on ${fit.featureFiles.map((f) => f.path).join(', ')}), got ${options.features.length}`,
    );
  }
  const idColumn = options.idColumn ?? fit.idColumn;
  const { idType } = await fileColumns(options.features[0]!, idColumn);
  const matrix = await readScoringMatrix(options.features, idColumn, fit.features);
  if (matrix.keys.length === 0) throw new DataFormatError(`No client id of \`${idColumn}\` is present in every feature file (${options.features.join(', ')})`);
  const booster = Booster.loadFromString(modelText);
  let probabilities: Float64Array;
  try {
    probabilities = booster.predict(matrix.X, matrix.keys.length, fit.features.length);
  } finally {
    booster.free();
  }
  const columns = predictionColumns(fit, probabilities, matrix.keys.length);
  const ids = idsOfType(matrix.keys, idType);
  if (columns[idColumn] !== undefined) throw new ConfigError(`The id column \`${idColumn}\` has the same name as a prediction column; rename the id column`);
  const table = tableFromColumns({ [idColumn]: ids.values, ...columns });
  // The id column's name in the metadata, as in every keyed table, so `evaluate` finds it without `--id`;
  // the model's SHA-256, so predictions (and a partitioned predictions manifest) say which model made them.
  const schema = new Schema(table.schema.fields, new Map([[ID_COLUMN_METADATA_KEY, idColumn], [SCORING_MODEL_SHA256_METADATA_KEY, fit.modelSha256]]));
  await writeArrowTable(options.out, new Table(schema, ...table.batches.map((b) => new RecordBatch(schema, b.data))));
  const warnings = matrix.dropped > 0 ? [`${matrix.dropped} id(s) of ${options.features[0]} are missing from another feature file and were not scored (inner join)`] : [];
  return { rows: matrix.keys.length, columns: Object.keys({ [idColumn]: 0, ...columns }), warnings };
}

/**
 * The probability and prediction columns of `rows` predictions (`probabilities` is row-major,
 * one value per row for binary, one per class for multiclass, as LightGBM returns them).
 */
export function predictionColumns(fit: FitDescription, probabilities: Float64Array, rows: number): Record<string, ColumnValues> {
  const classes = fit.classes;
  const chosen = new Int32Array(rows);
  const out: Record<string, ColumnValues> = {};
  if (fit.kind === 'binary') {
    const p = Float64Array.from(probabilities);
    out[`p_${classes[1]!}`] = p;
    for (let r = 0; r < rows; r++) chosen[r] = p[r]! >= 0.5 ? 1 : 0;
  } else {
    const k = classes.length;
    classes.forEach((c, j) => {
      out[`p_${c}`] = Float64Array.from({ length: rows }, (_, r) => probabilities[r * k + j]!);
    });
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let j = 1; j < k; j++) if (probabilities[r * k + j]! > probabilities[r * k + best]!) best = j;
      chosen[r] = best;
    }
  }
  const integers = classes.every((c) => /^-?\d+$/.test(c) && Math.abs(Number(c)) < 2 ** 31);
  out.prediction = integers ? Int32Array.from(chosen, (j) => Number(classes[j]!)) : Array.from(chosen, (j) => classes[j]!);
  return out;
}

/** Exit 2 rather than overwrite an input (the output is written over its path by a rename) or fail after the work on an unwritable folder. */
async function refuseOverwritingInputs(options: ScoreOptions): Promise<void> {
  const model = [MODEL_FILE, FIT_FILE].map((name) => ({ flag: '--model', path: join(options.model, name) }));
  await checkOutputs([{ flag: '--out', path: options.out, kind: 'file' }], [...options.features.map((path) => ({ flag: '--features', path })), ...model]);
}
