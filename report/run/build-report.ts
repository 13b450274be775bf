/**
 * Builds `report.html` and its PNGs from a run directory: reads run.json (or takes a run
 * description built another way, e.g. from a training run by `training-run.ts`) and the files it
 * names, projects a sample of each embedding set to 2-D and scores the projections, renders every
 * chart, and writes the outputs atomically (each PNG, then the HTML last, so a finished HTML always
 * has its pictures).
 */
import { access, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
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
import { allEmbeddingPictures } from './all-embedding-pictures.js';
import type { PictureSource } from './embedding-pictures.js';
import type { ProjectionPrefetch } from './projection-prefetch.js';
import { renderReportHtml } from './html.js';
import type { Picture, ProjectionSummary, ReportContent, Section } from './report-content.js';
import { readRunInfo, runPath, type RunInfo } from './run-layout.js';

/** t-SNE gradient steps of a report unless told otherwise. */
export const DEFAULT_TSNE_STEPS = 300;

/** Options of {@link buildReport}. */
export interface BuildReportOptions {
  /** Most clients per embedding picture (t-SNE cost grows with its square). @defaultValue `1000` */
  readonly sample?: number;
  /** Seed of the sample and of UMAP, t-SNE and TriMap. @defaultValue `42` */
  readonly seed?: number;
  /** t-SNE gradient steps. @defaultValue {@link DEFAULT_TSNE_STEPS} */
  readonly tsneSteps?: number;
  /** Scores in the A/B table: the isolated test part or the out-of-fold scores. @defaultValue `'test'` */
  readonly part?: ScorePart;
  /** Where to write the HTML; the PNGs go beside it. @defaultValue `RUN_DIR/report.html` */
  readonly out?: string;
  /** Called when a step of the build starts, for progress bars. */
  readonly onStep?: (step: string, index: number, total: number) => void;
  /**
   * Projections started earlier from {@link pictureSources} of the same run with the same sample,
   * seed and t-SNE steps; those sets are not projected again. @defaultValue none
   */
  readonly prefetch?: ProjectionPrefetch;
}

/** What {@link buildReport} wrote. */
export interface BuiltReport {
  /** Absolute path of `report.html`. */
  readonly html: string;
  /** Absolute paths of the PNGs beside it. */
  readonly pngs: readonly string[];
  /** Seconds spent per report step (projections, scores). */
  readonly timings: readonly { readonly step: string; readonly seconds: number }[];
  /** The content that was rendered (for `--json` output and tests). */
  readonly content: ReportContent;
}

/**
 * Builds the report of the run in `runDir` into `runDir/report.html` plus PNGs.
 * @throws ConfigError when `runDir` has no run.json; DataFormatError when a named file is invalid.
 */
export async function buildReport(runDir: string, options: BuildReportOptions = {}): Promise<BuiltReport> {
  return buildReportOf(runDir, await readRunInfo(runDir), options);
}

/**
 * Builds the report of the run `run` describes; its relative paths are relative to `runDir`.
 * @throws DataFormatError when a named file is invalid.
 */
export async function buildReportOf(runDir: string, run: RunInfo, options: BuildReportOptions = {}): Promise<BuiltReport> {
  const sample = expectInteger('sample', options.sample ?? 1000, 10);
  const seed = expectInteger('seed', options.seed ?? 42);
  const tsneSteps = expectInteger('tsneSteps', options.tsneSteps ?? DEFAULT_TSNE_STEPS, 1);
  const html = resolve(options.out ?? join(runDir, 'report.html'));
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
  const projections: ProjectionSummary[] = [];
  // The sets are projected at once on different threads when there are cores for it.
  const made = await allEmbeddingPictures(pictureSources(runDir, run), {
    sample, seed, tsneSteps,
    ...(options.prefetch ? { prefetch: options.prefetch } : {}),
    onSet: (source) => step(`embedding pictures: ${source.name}`),
  });
  for (const set of made) {
    pictures.push(...set.pictures);
    pngs.push(...set.pictures);
    projections.push(...set.projections);
    timings.push(...set.timings);
    notes.push(...set.notes);
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
    projections,
    inspect,
    timings: [...run.timings, ...timings],
    notes,
  };
  const written: string[] = [];
  await mkdir(dirname(html), { recursive: true });
  for (const { file, png } of pngs) {
    const path = join(dirname(html), file);
    await writeAtomically(path, (tmp) => writeFile(tmp, png));
    written.push(path);
  }
  await writeAtomically(html, (tmp) => writeFile(tmp, renderReportHtml(content), 'utf8'));
  return { html, pngs: written, timings, content };
}

/** The embedding sets of `run` as the report draws them (paths resolved against `runDir`). */
export function pictureSources(runDir: string, run: RunInfo): PictureSource[] {
  return run.files.embeddings.map((entry) => ({
    name: entry.name,
    embeddings: runPath(runDir, entry.path),
    targets: runPath(runDir, run.files.targets),
    targetsLabel: run.files.targets,
    idColumn: run.idColumn,
    labels: run.labels,
  }));
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
