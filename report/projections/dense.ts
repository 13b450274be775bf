/**
 * The small dense-matrix helpers TriMap and the projection scores share: a row-major matrix type,
 * conversion from the report's `number[][]` rows, squared distances and a 2-D PCA. Kept apart so
 * that `trimap.ts` and `quality.ts` each stay about one job.
 */
import { PCA } from 'ml-pca';
import { ShapeError } from '../../errors.js';

/** A row-major matrix: row `i` is `data[i * cols .. (i + 1) * cols)`. */
export interface Dense {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Copies equal-length rows into a {@link Dense} matrix.
 * @throws ShapeError when there are fewer than `minRows` rows, no columns, ragged rows or a
 * non-finite value (NaN distances would silently corrupt every neighbour list).
 */
export function toDense(rows: readonly (readonly number[])[], minRows: number): Dense {
  if (rows.length < minRows) throw new ShapeError(`Projection needs at least ${minRows} rows, got ${rows.length}`);
  const cols = rows[0]!.length;
  if (cols < 1) throw new ShapeError('Projection needs at least 1 column, got 0');
  const data = new Float64Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.length !== cols) throw new ShapeError(`Row ${i} has ${row.length} columns, expected ${cols}`);
    for (let c = 0; c < cols; c++) {
      const v = row[c]!;
      if (!Number.isFinite(v)) throw new ShapeError(`Row ${i} column ${c} is not a finite number (${v})`);
      data[i * cols + c] = v;
    }
  }
  return { data, rows: rows.length, cols };
}

/** A 2-column {@link Dense} matrix from the `x` and `y` coordinates of a projection. */
export function fromXY(x: Float64Array, y: Float64Array): Dense {
  if (x.length !== y.length) throw new ShapeError(`Projection has ${x.length} x values but ${y.length} y values`);
  const data = new Float64Array(x.length * 2);
  for (let i = 0; i < x.length; i++) {
    data[2 * i] = x[i]!;
    data[2 * i + 1] = y[i]!;
  }
  return { data, rows: x.length, cols: 2 };
}

/** Squared Euclidean distance between rows `i` and `j` of `m`. */
export function squaredDistance(m: Dense, i: number, j: number): number {
  const { data, cols } = m;
  const a = i * cols;
  const b = j * cols;
  let sum = 0;
  for (let c = 0; c < cols; c++) {
    const diff = data[a + c]! - data[b + c]!;
    sum += diff * diff;
  }
  return sum;
}

/** Squared distances from row `i` to every row of `m`, written into `out` (length `m.rows`). */
export function squaredDistancesFrom(m: Dense, i: number, out: Float64Array): Float64Array {
  for (let j = 0; j < m.rows; j++) out[j] = squaredDistance(m, i, j);
  return out;
}

/**
 * Scores of the rows on their first `components` principal components (centred, not scaled),
 * computed by ml-pca, the same library as the report's PCA picture. Used as TriMap's
 * initialisation and as the reference embedding of the global score.
 */
export function pcaScores(m: Dense, components: number): Dense {
  if (m.cols < components) return padColumns(m, components);
  const rows: number[][] = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  const projected = new PCA(rows, { center: true }).predict(rows, { nComponents: components });
  const data = new Float64Array(m.rows * components);
  for (let i = 0; i < m.rows; i++) {
    for (let c = 0; c < components; c++) data[i * components + c] = projected.get(i, c);
  }
  return { data, rows: m.rows, cols: components };
}

/** A copy of `m` with every column's mean subtracted. */
export function centreColumns(m: Dense): Dense {
  const data = Float64Array.from(m.data);
  for (let c = 0; c < m.cols; c++) {
    let mean = 0;
    for (let i = 0; i < m.rows; i++) mean += data[i * m.cols + c]!;
    mean /= m.rows;
    for (let i = 0; i < m.rows; i++) data[i * m.cols + c] = data[i * m.cols + c]! - mean;
  }
  return { data, rows: m.rows, cols: m.cols };
}

/** Centred copy of `m` widened with zero columns: PCA of data narrower than the target keeps every axis. */
function padColumns(m: Dense, components: number): Dense {
  const centred = centreColumns(m);
  const data = new Float64Array(m.rows * components);
  for (let i = 0; i < m.rows; i++) data.set(centred.data.subarray(i * m.cols, (i + 1) * m.cols), i * components);
  return { data, rows: m.rows, cols: components };
}
