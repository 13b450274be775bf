/**
 * `compareFeatureSets` / `writeCompareReport`: the A/B comparison behind `meles compare`.
 * Evaluates every feature set on every target with the same splits, then writes `report.json`
 * (the {@link CompareResult} itself), `report.md` and a self-contained `report.html`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically } from '../../data/atomic-write.js';
import { evaluateFeatureSets } from './evaluate.js';
import type { EvaluateOptions, EvaluationResult, FeatureSetSpec } from './evaluate-types.js';
import { reportHtml } from '../../report/comparison-html.js';
import { reportMarkdown } from '../../report/comparison-markdown.js';

/** Options of {@link compareFeatureSets}: the evaluation options (the sets are the table's rows). */
export type CompareOptions = EvaluateOptions;

/** An evaluation plus the inputs it was run on, as written to `report.json`. */
export interface CompareResult extends EvaluationResult {
  /** Label file. */
  readonly targetsPath: string;
  /** Client id column. */
  readonly idColumn: string;
  /** The compared sets, in table order. */
  readonly featureSets: readonly FeatureSetSpec[];
  /** Baseline set of the t-tests, if any. */
  readonly baseline?: string;
  /** When the comparison finished (ISO 8601). */
  readonly finishedAt: string;
}

/** Paths of the written report files. */
export interface CompareReportFiles {
  /** `report.json`: the full {@link CompareResult}. */
  readonly json: string;
  /** `report.md`: method | target metric ± 95% table, t-tests, protocol. */
  readonly markdown: string;
  /** `report.html`: the same with a bar chart with error bars as inline SVG. */
  readonly html: string;
}

/** Evaluates every set on every target (see `evaluateFeatureSets`). */
export async function compareFeatureSets(options: CompareOptions): Promise<CompareResult> {
  const result = await evaluateFeatureSets(options);
  return {
    targetsPath: options.targetsPath,
    idColumn: options.idColumn,
    featureSets: options.featureSets,
    ...(options.baseline === undefined ? {} : { baseline: options.baseline }),
    finishedAt: new Date().toISOString(),
    ...result,
  };
}

/** Writes `report.json`, `report.md` and `report.html` into `outDir` (created if needed), each atomically. */
export async function writeCompareReport(result: CompareResult, outDir: string): Promise<CompareReportFiles> {
  await mkdir(outDir, { recursive: true });
  const files = { json: join(outDir, 'report.json'), markdown: join(outDir, 'report.md'), html: join(outDir, 'report.html') };
  // NaN (std of one fold) has no JSON form; it becomes null, which readers treat as "undefined".
  await writeAtomically(files.json, (tmp) => writeFile(tmp, `${JSON.stringify(result, null, 2)}\n`));
  await writeAtomically(files.markdown, (tmp) => writeFile(tmp, reportMarkdown(result)));
  const html = await reportHtml(result);
  await writeAtomically(files.html, (tmp) => writeFile(tmp, html));
  return files;
}
