/**
 * The view model of one experiment table (`meles experiment NAME`), in the layout of the MeLES
 * lecture's tables: one row per method, one `mean ± 95%` column per target (the test part of the
 * evaluation protocol), and a "published (lecture)" column with the paper's / lecture's numbers for
 * the same method where one exists. The measured cells come from the shared
 * {@link comparisonView}, so the experiment pages agree cell for cell with `meles compare`.
 */
import type { ScoreSummary } from '../downstream/evaluation/stats.js';
import { comparisonView, type ComparisonColumn, type ComparisonSource, type ComparisonView } from './comparison-view.js';
import { formatInterval, formatNumber, MISSING } from './format.js';

/** One published number: a mean, with its 95% half-width when the source gives one. */
export interface PublishedNumber {
  /** The published mean. */
  readonly mean: number;
  /** Its 95% half-width. @defaultValue undefined (the source gives the mean alone) */
  readonly halfWidth?: number;
}

/** Where a published number was printed. */
export type PublishedSource = 'lecture' | 'ptls';

/** What the source calls each {@link PublishedSource}. */
export const PUBLISHED_SOURCE_LABEL: Readonly<Record<PublishedSource, string>> = {
  lecture: 'the MeLES lecture tables',
  ptls: 'pytorch-lifestream ablations (reference row 0.640 / 0.884)',
};

/** The published age-group accuracy and gender AUROC of one method (either may be missing). */
export interface PublishedScore {
  /** Age group accuracy on the age_pred dataset. @defaultValue undefined (not published) */
  readonly age?: PublishedNumber;
  /** Gender AUROC on the gender dataset. @defaultValue undefined (not published) */
  readonly gender?: PublishedNumber;
  /** Where the numbers come from. */
  readonly source: PublishedSource;
}

/** One method (row) of an experiment: its feature-set name in the comparison and what it stands for. */
export interface ExperimentMethod {
  /** Feature-set name in the comparison, shown as the row label. */
  readonly set: string;
  /** What was changed against the default, e.g. `splitter: split-random, 5 × ≤100 events`. */
  readonly description: string;
  /** The published numbers of the same method. @defaultValue undefined (none published) */
  readonly published?: PublishedScore;
}

/** What an experiment table is built from (also the core of `NAME.json`). */
export interface ExperimentTableSource {
  /** Experiment name, e.g. `pairs`. */
  readonly experiment: string;
  /** Title, e.g. `Pair generation methods`. */
  readonly title: string;
  /** Header of the method column, as in the lecture, e.g. `Pair generation method`. */
  readonly methodHeader: string;
  /** The command that produced the table. */
  readonly command: string;
  /** Scale name (`small`, `full`). */
  readonly scale: string;
  /** The rows, in table order. */
  readonly methods: readonly ExperimentMethod[];
  /** The comparison of the methods (LightGBM rows and included sequence-model rows), every label. */
  readonly comparison: ComparisonSource;
  /**
   * The same rows compared at several labelled fractions (the `label-fraction` experiment), in
   * ascending order; `comparison` is the one at 1. @defaultValue undefined (one comparison)
   */
  readonly fractions?: readonly FractionComparison[];
  /** Wall time of the whole experiment, including reused work (s). */
  readonly seconds: number;
  /** Settings worth printing under the table (clients, epochs, hidden, trees …). */
  readonly settings: Readonly<Record<string, string | number>>;
}

/** One comparison of a label-fraction table. */
export interface FractionComparison {
  /** Share of each fold's training clients the rows learned from, in (0, 1]. */
  readonly fraction: number;
  readonly comparison: ComparisonSource;
}

/** One row of the experiment view. */
export interface ExperimentRow {
  /** Row label. */
  readonly method: string;
  /** What the row changes against the default. */
  readonly description: string;
  /** Measured `mean ± 95%` per column (test part); undefined when not evaluated. */
  readonly cells: readonly (ScoreSummary | undefined)[];
  /** The published cell text, `0.639 ± 0.006 / 0.872 ± 0.005`, or {@link MISSING}. */
  readonly published: string;
  /** Where {@link published} comes from; undefined when nothing is published. */
  readonly publishedSource?: PublishedSource;
}

/** An experiment table as the Markdown and HTML pages show it. */
export interface ExperimentView {
  readonly experiment: string;
  readonly title: string;
  readonly methodHeader: string;
  readonly command: string;
  /** Measured columns (target and primary metric). */
  readonly columns: readonly ComparisonColumn[];
  readonly rows: readonly ExperimentRow[];
  /** Per column, the highest measured mean. */
  readonly best: readonly number[];
  /** Header of the published column. */
  readonly publishedHeader: string;
  /** The sources the published column cites, in first-use order. */
  readonly publishedSources: readonly PublishedSource[];
  /** The comparison's test-part view (t-tests against the default method, chart bars). */
  readonly comparison: ComparisonView;
}

/** Header of the published column: the lecture reports age accuracy and gender AUROC. */
export const PUBLISHED_HEADER = 'published (lecture): age accuracy / gender AUROC';

/** Builds the view: rows in `methods` order, measured cells from the comparison's test part. */
export function experimentView(source: ExperimentTableSource): ExperimentView {
  const comparison = comparisonView(source.comparison, 'test');
  const rows = source.methods.map((m): ExperimentRow => {
    const measured = comparison.rows.find((r) => r.set === m.set);
    return {
      method: m.set,
      description: m.description,
      cells: comparison.columns.map((_, k) => measured?.cells[k]),
      published: formatPublished(m.published),
      ...(m.published === undefined ? {} : { publishedSource: m.published.source }),
    };
  });
  const publishedSources = [...new Set(rows.flatMap((r) => (r.publishedSource === undefined ? [] : [r.publishedSource])))];
  return {
    experiment: source.experiment,
    title: source.title,
    methodHeader: source.methodHeader,
    command: source.command,
    columns: comparison.columns,
    rows,
    best: comparison.best,
    publishedHeader: PUBLISHED_HEADER,
    publishedSources,
    comparison,
  };
}

/** `0.639 ± 0.006 / 0.872 ± 0.005`; a number the source gives without interval prints alone; a missing one as `–`. */
export function formatPublished(score: PublishedScore | undefined): string {
  if (score === undefined) return MISSING;
  const one = (n: PublishedNumber | undefined): string => {
    if (n === undefined) return MISSING;
    return n.halfWidth === undefined ? formatNumber(n.mean) : formatInterval(n.mean, n.halfWidth);
  };
  return `${one(score.age)} / ${one(score.gender)}`;
}
