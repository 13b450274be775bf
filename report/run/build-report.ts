/**
 * Builds `report.html` and its PNGs from a run directory: reads run.json and the files it names,
 * projects a sample of each embedding set to 2-D, renders every chart, and writes the outputs
 * atomically (each PNG, then the HTML last, so a finished HTML always has its pictures).
 */
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../../data/atomic-write.js';
import { readJsonFile } from '../../data/json-file.js';
import { DataFormatError } from '../../errors.js';
import { expectInteger } from '../../options.js';
import { readEpochMetrics } from '../../training/epoch-metrics.js';
import { renderVegaLite } from '../charts/render.js';
import { embeddingScatterChart } from '../charts/scatter.js';
import { trainingCurvesChart } from '../charts/training-curves.js';
import { renderComparisonChart } from '../comparison-chart.js';
import { readComparison, type ScorePart } from './comparison.js';
import { readLabelledEmbeddings } from '../../data/labelled-embeddings.js';
import { renderReportHtml } from './html.js';
import { projectPca, projectTsne, projectUmap, sampleIndices, type Projection2D } from './projections.js';
import type { Picture, ReportContent, Section } from './report-content.js';
import { readRunInfo, runPath, type RunInfo } from './run-layout.js';

/** Options of {@link buildReport}. */
export interface BuildReportOptions {
  /** Most clients per embedding picture (t-SNE cost grows with its square). @defaultValue `1000` */
  readonly sample?: number;
  /** Seed of the sample and of UMAP/t-SNE. @defaultValue `42` */
  readonly seed?: number;
  /** t-SNE gradient steps. @defaultValue `300` */
  readonly tsneSteps?: number;
  /** Scores in the A/B table: the isolated test part or the out-of-fold scores. @defaultValue `'test'` */
  readonly part?: ScorePart;
  /** Called when a step of the build starts, for progress bars. */
  readonly onStep?: (step: string, index: number, total: number) => void;
}

/** What {@link buildReport} wrote. */
export interface BuiltReport {
  /** Absolute path of `report.html`. */
  readonly html: string;
  /** Absolute paths of the PNGs beside it. */
  readonly pngs: readonly string[];
  /** Seconds spent per report step (projections, rendering). */
  readonly timings: readonly { readonly step: string; readonly seconds: number }[];
  /** The content that was rendered (for `--json` output and tests). */
  readonly content: ReportContent;
}

const METHODS = [
  { name: 'PCA', project: (rows: number[][]) => projectPca(rows) },
  { name: 'UMAP', project: (rows: number[][], o: ProjectOpts) => projectUmap(rows, o) },
  { name: 't-SNE', project: (rows: number[][], o: ProjectOpts) => projectTsne(rows, o) },
] as const;
type ProjectOpts = { seed: number; tsneSteps: number };

/**
 * Builds the report of the run in `runDir` into `runDir/report.html` plus PNGs.
 * @throws ConfigError when `runDir` has no run.json; DataFormatError when a named file is invalid.
 */
export async function buildReport(runDir: string, options: BuildReportOptions = {}): Promise<BuiltReport> {
  const sample = expectInteger('sample', options.sample ?? 1000, 10);
  const seed = expectInteger('seed', options.seed ?? 42);
  const tsneSteps = expectInteger('tsneSteps', options.tsneSteps ?? 300, 1);
  const run = await readRunInfo(runDir);
  const total = 3 + run.files.embeddings.length;
  let index = 0;
  const step = (name: string): void => options.onStep?.(name, index++, total);
  const timings: { step: string; seconds: number }[] = [];
  const pngs: { file: string; png: Uint8Array }[] = [];
  const notes: string[] = [];

  step('comparison');
  const comparison = await optional(runPath(runDir, run.files.comparison), async (path) => {
    const table = await readComparison(path, options.part ?? 'test');
    const chart = await renderComparisonChart(table);
    if (chart !== undefined) pngs.push({ file: 'ab-comparison.png', png: chart.png });
    return { table, chartSvg: chart?.svg ?? '' };
  });

  step('training curves');
  const training = await optional(runPath(runDir, run.files.metrics), async (path) => {
    const epochs = await readEpochMetrics(path);
    if (epochs.length === 0) throw new DataFormatError(`${path}: expected at least one line of epoch metrics, found none`);
    const chart = await renderVegaLite(trainingCurvesChart(epochs));
    pngs.push({ file: 'training-curves.png', png: chart.png });
    return { epochs, chartSvg: chart.svg };
  });

  const pictures: Picture[] = [];
  for (const entry of run.files.embeddings) {
    step(`embedding pictures: ${entry.name}`);
    const made = await embeddingPictures(runDir, run, entry, { sample, seed, tsneSteps }, timings, notes);
    pictures.push(...made);
    pngs.push(...made);
  }
  const picturesSection: Section<readonly Picture[]> = run.files.embeddings.length === 0
    ? { kind: 'missing', reason: 'run.json names no embedding files (files.embeddings)' }
    : { kind: 'present', value: pictures };

  step('data summary');
  const inspect = await optional(runPath(runDir, run.files.inspect), (path) => readJsonFile(path, 'data summary', z.unknown()));

  const content: ReportContent = {
    run,
    generatedAt: new Date().toISOString(),
    comparison,
    training,
    pictures: picturesSection,
    inspect,
    timings: [...run.timings, ...timings],
    notes,
  };
  const written: string[] = [];
  for (const { file, png } of pngs) {
    const path = join(runDir, file);
    await writeAtomically(path, (tmp) => writeFile(tmp, png));
    written.push(path);
  }
  const html = join(runDir, 'report.html');
  await writeAtomically(html, (tmp) => writeFile(tmp, renderReportHtml(content), 'utf8'));
  return { html, pngs: written, timings, content };
}

async function embeddingPictures(
  runDir: string,
  run: RunInfo,
  entry: { name: string; path: string },
  opts: { sample: number; seed: number; tsneSteps: number },
  timings: { step: string; seconds: number }[],
  notes: string[],
): Promise<Picture[]> {
  const columns = run.labels.map((l) => l.column);
  const data = await readLabelledEmbeddings(runPath(runDir, entry.path), runPath(runDir, run.files.targets), run.idColumn, columns);
  if (data.unlabelled > 0) notes.push(`${entry.name}: ${data.unlabelled} client(s) have no labels in ${run.files.targets} and are left out of the pictures.`);
  const picked = sampleIndices(data.rows.length, opts.sample, opts.seed);
  const rows = Array.from(picked, (i) => data.rows[i]!);
  const out: Picture[] = [];
  for (const method of METHODS) {
    const projection: Projection2D = method.project(rows, { seed: opts.seed, tsneSteps: opts.tsneSteps });
    timings.push({ step: `report: ${method.name} of ${entry.name} (${rows.length} clients)`, seconds: projection.seconds });
    for (const label of run.labels) {
      const values = data.labels[label.column]!;
      const title = label.title ?? label.column;
      const points = Array.from(picked, (row, k) => ({ x: projection.x[k]!, y: projection.y[k]!, label: values[row]! }));
      const chart = await renderVegaLite(embeddingScatterChart(points, { title: `${entry.name}: ${method.name}, coloured by ${title}`, labelName: title }));
      const file = `embedding-${slug(entry.name)}-${slug(method.name)}-${slug(label.column)}.png`;
      out.push({ embedding: entry.name, method: method.name, label: title, file, png: chart.png, points: rows.length });
    }
  }
  return out;
}

/** Runs `read` on an existing file; a missing file becomes a 'missing' section naming it. */
async function optional<T>(path: string, read: (path: string) => Promise<T>): Promise<Section<T>> {
  try {
    await access(path);
  } catch {
    return { kind: 'missing', reason: `${path} does not exist` };
  }
  return { kind: 'present', value: await read(path) };
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
