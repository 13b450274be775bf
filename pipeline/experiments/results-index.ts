/**
 * `DIR/RESULTS.md`: every experiment table written into DIR so far (`NAME.json`), in catalogue
 * order, each with the command that produced it, rebuilt after every `meles experiment` run.
 * docs/RESULTS.md is a copy of the one from the reference runs.
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../../data/atomic-write.js';
import { readJsonFile } from '../../data/json-file.js';
import { experimentSectionMarkdown } from '../../report/experiment-markdown.js';
import type { ExperimentTableSource } from '../../report/experiment-table.js';
import { EXPERIMENT_NAMES } from './experiment-types.js';

/** The fields RESULTS.md needs; the rest of NAME.json (the comparison) is the report's own format. */
const tableFileSchema = z.looseObject({
  formatVersion: z.literal(1),
  experiment: z.enum(EXPERIMENT_NAMES),
  title: z.string(),
  methodHeader: z.string(),
  command: z.string(),
  scale: z.string(),
  methods: z.array(z.looseObject({ set: z.string(), description: z.string() })),
  comparison: z.looseObject({ results: z.array(z.unknown()), comparisons: z.array(z.unknown()), warnings: z.array(z.string()) }),
  seconds: z.number(),
  settings: z.record(z.string(), z.union([z.string(), z.number()])),
});

/** Rebuilds `DIR/RESULTS.md` from the `NAME.json` files in `dir`; returns its path. */
export async function writeResultsIndex(dir: string): Promise<string> {
  const names = new Set(await readdir(dir));
  const sections: string[] = ['# Experiment results', '', 'Tables of `meles experiment NAME`, in the layout of the MeLES lecture; each with the command that produced it.', ''];
  for (const name of EXPERIMENT_NAMES) {
    if (!names.has(`${name}.json`)) continue;
    const file = await readJsonFile(join(dir, `${name}.json`), 'experiment table', tableFileSchema);
    // The comparison was written by writeExperimentReport from a CompareResult; the schema above checked its shape.
    sections.push(...experimentSectionMarkdown(file as unknown as ExperimentTableSource));
  }
  const path = join(dir, 'RESULTS.md');
  await writeAtomically(path, (tmp) => writeFile(tmp, `${sections.join('\n')}\n`));
  return path;
}
