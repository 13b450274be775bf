/**
 * `writeExperimentReport`: the files of one experiment table, `DIR/NAME.json` (the
 * {@link ExperimentFile}: the table's source plus whatever the caller records), `DIR/NAME.md` and
 * `DIR/NAME.html`, each written atomically.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeAtomically } from '../data/atomic-write.js';
import { experimentHtml } from './experiment-html.js';
import { experimentMarkdown } from './experiment-markdown.js';
import type { ExperimentTableSource } from './experiment-table.js';

/** What `NAME.json` holds: the table's source (with the full comparison) and the caller's details. */
export interface ExperimentFile<Details> extends ExperimentTableSource {
  /** Version of this layout. */
  readonly formatVersion: 1;
  /** The caller's record of how each method was produced (variants, directories, reuse). */
  readonly details: Details;
}

/** Paths of the written files. */
export interface ExperimentReportFiles {
  readonly json: string;
  readonly markdown: string;
  readonly html: string;
}

/** Writes `NAME.json`, `NAME.md` and `NAME.html` into `outDir` (created if needed). */
export async function writeExperimentReport<Details>(file: ExperimentFile<Details>, outDir: string): Promise<ExperimentReportFiles> {
  await mkdir(outDir, { recursive: true });
  const base = join(outDir, file.experiment);
  const files = { json: `${base}.json`, markdown: `${base}.md`, html: `${base}.html` };
  // NaN (std of one fold) has no JSON form; it becomes null, which the comparison readers treat as undefined.
  await writeAtomically(files.json, (tmp) => writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`));
  await writeAtomically(files.markdown, (tmp) => writeFile(tmp, experimentMarkdown(file)));
  const html = await experimentHtml(file);
  await writeAtomically(files.html, (tmp) => writeFile(tmp, html));
  return files;
}
