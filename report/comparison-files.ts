/**
 * `writeCompareReport`: the files of an A/B comparison (`meles compare`, the pipeline's compare
 * stage, `meles demo`). It lives in report/, not beside `compareFeatureSets` in downstream/, because
 * it renders the Markdown and HTML pages: downstream computes, report presents.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically } from '../data/atomic-write.js';
import type { CompareResult } from '../downstream/evaluation/compare.js';
import { reportHtml } from './compare-report-html.js';
import { reportMarkdown } from './comparison-markdown.js';

/** Paths of the written report files. */
export interface CompareReportFiles {
  /** `report.json`: the full {@link CompareResult}. */
  readonly json: string;
  /** `report.md`: method | target metric ± 95% table, t-tests, protocol. */
  readonly markdown: string;
  /** `report.html`: the same with a bar chart with error bars as inline SVG. */
  readonly html: string;
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
