/**
 * The report's embedding pictures: a seeded sample of one embedding file, projected to 2-D by every
 * method of {@link PROJECTION_METHODS} and scored (`project-set.ts`), then drawn once per label
 * column. Sampling, projecting and drawing are separate steps so that `all-embedding-pictures.ts`
 * can project several sets at once on different threads.
 */
import { readLabelledEmbeddings } from '../../data/labelled-embeddings.js';
import { renderVegaLite } from '../charts/render.js';
import { embeddingScatterChart } from '../charts/scatter.js';
import { projectSet, type ScoredSet } from './project-set.js';
import { sampleIndices } from './projections.js';
import { PROJECTION_METHODS, type Picture, type ProjectionSummary } from './report-content.js';

/** What to draw: one embedding file, joined with the label columns of the targets file. */
export interface PictureSource {
  /** Shown in titles, e.g. `MeLES`. */
  readonly name: string;
  /** Absolute path of the embeddings Arrow file. */
  readonly embeddings: string;
  /** Absolute path of the targets Arrow file. */
  readonly targets: string;
  /** Targets file name as the notes show it. */
  readonly targetsLabel: string;
  /** Id column of both files. */
  readonly idColumn: string;
  /** Label columns the dots are coloured by, with readable titles. */
  readonly labels: readonly { readonly column: string; readonly title?: string | undefined }[];
}

/** Options of {@link embeddingPictures}. */
export interface PictureOptions {
  /** Most clients projected. */
  readonly sample: number;
  /** Seed of the sample, UMAP, t-SNE and TriMap. */
  readonly seed: number;
  /** t-SNE gradient steps. */
  readonly tsneSteps: number;
}

/** The pictures of one embedding set, its projections' scores, timings and notes. */
export interface EmbeddingPictures {
  readonly pictures: Picture[];
  readonly projections: ProjectionSummary[];
  readonly timings: { step: string; seconds: number }[];
  readonly notes: string[];
}

/** The sample of one embedding set that is projected: its rows and everything drawing needs. */
export interface SampledSet {
  readonly source: PictureSource;
  /** Rows of the sample, in file order. */
  readonly rows: number[][];
  /** Labels of the sample's rows: `labels[column][k]` belongs to `rows[k]`. */
  readonly labels: Readonly<Record<string, readonly string[]>>;
  readonly notes: string[];
}

/** Projects, scores and draws one embedding set (t-SNE on a worker thread, the rest here). */
export async function embeddingPictures(source: PictureSource, opts: PictureOptions): Promise<EmbeddingPictures> {
  const sampled = await sampleEmbeddingSet(source, opts);
  return drawEmbeddingSet(sampled, await projectSet(sampled.rows, { seed: opts.seed, tsneSteps: opts.tsneSteps, tsneOnWorker: true }));
}

/**
 * Reads one embedding set with its labels and draws the seeded sample that is projected.
 * @throws DataFormatError naming the file and column when a file does not fit.
 */
export async function sampleEmbeddingSet(source: PictureSource, opts: Pick<PictureOptions, 'sample' | 'seed'>): Promise<SampledSet> {
  const columns = source.labels.map((l) => l.column);
  const data = await readLabelledEmbeddings(source.embeddings, source.targets, source.idColumn, columns);
  const notes = data.unlabelled > 0 ? [`${source.name}: ${data.unlabelled} client(s) have no labels in ${source.targetsLabel} and are left out of the pictures.`] : [];
  const picked = sampleIndices(data.rows.length, opts.sample, opts.seed);
  const rows = Array.from(picked, (i) => data.rows[i]!);
  const labels = Object.fromEntries(columns.map((c) => [c, Array.from(picked, (i) => data.labels[c]![i]!)]));
  return { source, rows, labels, notes };
}

/** Draws every scored projection of a sample once per label column, with the timings and scores. */
export async function drawEmbeddingSet(sampled: SampledSet, scored: ScoredSet): Promise<EmbeddingPictures> {
  const { source, rows } = sampled;
  const timings: { step: string; seconds: number }[] = [];
  const projections: ProjectionSummary[] = [];
  const pictures: Picture[] = [];
  for (const method of PROJECTION_METHODS) {
    const projection = scored[method];
    timings.push({ step: `report: ${method} of ${source.name} (${rows.length} clients)`, seconds: projection.seconds });
    projections.push({ embedding: source.name, method, points: rows.length, seconds: projection.seconds, ...projection.scores });
    for (const label of source.labels) {
      const values = sampled.labels[label.column]!;
      const title = label.title ?? label.column;
      const points = values.map((value, k) => ({ x: projection.x[k]!, y: projection.y[k]!, label: value }));
      const chart = await renderVegaLite(embeddingScatterChart(points, { title: `${source.name}: ${method}, coloured by ${title}`, labelName: title }));
      const file = `embedding-${slug(source.name)}-${slug(method)}-${slug(label.column)}.png`;
      pictures.push({ embedding: source.name, method, label: title, file, png: chart.png, points: rows.length, scores: projection.scores });
    }
  }
  // projectAllConcurrently splits the shared scoring time evenly; the report shows it as one step.
  const scoring = PROJECTION_METHODS.reduce((s, m) => s + scored[m].scoreSeconds, 0);
  timings.push({ step: `report: local and global scores of ${source.name} (${PROJECTION_METHODS.length} projections)`, seconds: scoring });
  return { pictures, projections, timings, notes: sampled.notes };
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
