/**
 * `meles inspect DATASET (--schema F | --id … --time …) [--as-of TIME] [--json]`: rows, clients,
 * sequence-length quantiles, cardinality per categorical, time range and nulls per column.
 */
import type { Command } from 'commander';
import { addAsOfOption, addSchemaOptions, asOfFromOptions, schemaFromOptions, type AsOfFlags, type SchemaFlags } from '../schema-options.js';
import { inspectFile, type FileSummary } from '../../data/inspect-file.js';

/** Registers `meles inspect`. */
export function register(program: Command): void {
  addAsOfOption(addSchemaOptions(
    program
      .command('inspect')
      .description('summarise a transactions dataset: rows, clients, sequence lengths, cardinalities, time range, nulls')
      .argument('<dataset>', "Arrow IPC or Parquet file, a directory of them, or a quoted glob ('daily/*.arrow')")
      .option('--json', 'print the summary as JSON'),
  )).action(async (file: string, opts: SchemaFlags & AsOfFlags & { json?: boolean }) => {
    const asOf = asOfFromOptions(opts);
    const summary = await inspectFile(file, await schemaFromOptions(opts), asOf);
    process.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary));
  });
}

/** The human-readable form of a summary. */
export function formatSummary(s: FileSummary): string {
  const q = s.sequenceLength;
  const lines = [
    `${s.path} (${s.format === 'parquet' || s.format === 'mixed' ? s.format : `Arrow IPC ${s.format}`}, ${s.files > 1 ? `${s.files} files, ` : ''}${s.batches} record batches)`,
    ...(s.asOf === undefined ? [] : [`as of: ${s.asOf}`]),
    `rows: ${s.rows}`,
    `clients: ${s.clients}`,
    `sequence length: min ${q.min}, p05 ${q.p05}, p25 ${q.p25}, median ${q.median}, p75 ${q.p75}, p95 ${q.p95}, max ${q.max}, mean ${q.mean.toFixed(1)}`,
    `time: ${s.time.minIso ?? s.time.min} .. ${s.time.maxIso ?? s.time.max}${s.time.unit === 'number' ? ' (numeric)' : ''}`,
    'categorical:',
    ...Object.entries(s.categorical).map(
      ([name, c]) => `  ${name}: ${c.cardinality} distinct; top ${c.top.map(([t, n]) => `${t} (${n})`).join(', ')}; nulls -> <unk>: ${s.replaced.nullCategorical[name] ?? 0}`,
    ),
    'numeric (after transform):',
    ...Object.entries(s.numeric).map(
      ([name, r]) => `  ${name}: min ${r.min.toPrecision(6)}, max ${r.max.toPrecision(6)}, mean ${r.mean.toPrecision(6)}; null/NaN/Inf -> 0: ${s.replaced.nonFiniteNumeric[name] ?? 0}`,
    ),
    'columns:',
    ...s.columns.map((c) => `  ${c.name}: ${c.type}, ${c.nulls} nulls`),
  ];
  return `${lines.join('\n')}\n`;
}
