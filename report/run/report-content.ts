/**
 * The typed content of a run report: everything the HTML page shows, already read from the run
 * directory and rendered to pictures. Sections whose input file is missing say so instead of
 * disappearing, so a partial run still gets an honest report.
 */
import type { EpochMetrics } from '../../training/epoch-metrics.js';
import type { ComparisonView } from '../comparison-view.js';
import type { ProjectionScores } from '../projections/quality.js';
import type { RunInfo } from './run-layout.js';

/** A report section: present with its value, or missing with the reason shown in its place. */
export type Section<T> = { readonly kind: 'present'; readonly value: T } | { readonly kind: 'missing'; readonly reason: string };

/** The 2-D projection methods of the report, in the order they are shown. */
export const PROJECTION_METHODS = ['PCA', 'UMAP', 't-SNE', 'TriMap'] as const;

/** One of {@link PROJECTION_METHODS}. */
export type ProjectionMethod = (typeof PROJECTION_METHODS)[number];

/** One projection of one embedding sample, with its quality scores (`../projections/quality.ts`). */
export interface ProjectionSummary {
  /** Embedding set, e.g. `MeLES`. */
  readonly embedding: string;
  readonly method: ProjectionMethod;
  /** Number of clients projected. */
  readonly points: number;
  /** Local score: log-K area under the R_NX curve, 1 perfect, about 0 random. */
  readonly local: number;
  /** Global score GS: how well a linear map from the plane rebuilds the data, PCA = 1. */
  readonly global: number;
  /** Wall-clock seconds of the projection. */
  readonly seconds: number;
}

/** One embedding picture (a projection coloured by one label). */
export interface Picture {
  /** Embedding set, e.g. `MeLES`. */
  readonly embedding: string;
  /** Projection method shown in the title. */
  readonly method: ProjectionMethod;
  /** Label column the dots are coloured by. */
  readonly label: string;
  /** File name of the PNG beside the report. */
  readonly file: string;
  /** PNG bytes, inlined as base64. */
  readonly png: Uint8Array;
  /** Number of dots. */
  readonly points: number;
  /** Local and global score of the projection the picture shows. */
  readonly scores: ProjectionScores;
}

/** Everything the report page shows. */
export interface ReportContent {
  /** The run description (config, backend, model, timings, file names). */
  readonly run: RunInfo;
  /** When the report was built (ISO 8601). */
  readonly generatedAt: string;
  /** The A/B table and its bar chart (inline SVG). */
  readonly comparison: Section<{ readonly table: ComparisonView; readonly chartSvg: string }>;
  /** Training curves (inline SVG) and the per-epoch numbers as the trainer logged them. */
  readonly training: Section<{ readonly epochs: readonly EpochMetrics[]; readonly chartSvg: string }>;
  /** Embedding pictures, or why there are none. */
  readonly pictures: Section<readonly Picture[]>;
  /** Every projection's scores (embedding × method), the table beside the pictures. */
  readonly projections: readonly ProjectionSummary[];
  /** The data summary as `meles inspect --json` printed it. */
  readonly inspect: Section<unknown>;
  /** Timings of the run plus those of building the report. */
  readonly timings: readonly { readonly step: string; readonly seconds: number }[];
  /** Remarks worth reading (e.g. clients without labels left out of the pictures). */
  readonly notes: readonly string[];
}
