/**
 * `meles import-csv IN.csv --out OUT.arrow (--schema F | --id … --time …)`: streams a CSV file
 * into an Arrow IPC file with only the mapped columns (types as in data/csv-import.ts).
 */
import type { Command } from 'commander';
import { addSchemaOptions, schemaFromOptions, type SchemaFlags } from '../schema-options.js';
import { importCsv } from '../../data/csv-import.js';
import { integerFlag } from '../flags.js';
import { checkOutputs } from '../../data/output-guard.js';

/** Registers `meles import-csv`. */
export function register(program: Command): void {
  addSchemaOptions(
    program
      .command('import-csv')
      .description('convert a CSV file to an Arrow IPC file under a schema mapping (streaming)')
      .argument('<csv>', 'input CSV file with a header line')
      .requiredOption('--out <file>', 'output Arrow file')
      .option('--delimiter <c>', 'field delimiter', ',')
      .option('--batch-rows <n>', 'rows per record batch', '65536')
      .option('--stream', 'write the IPC stream format instead of the file format'),
  ).action(async (csv: string, opts: SchemaFlags & { out: string; delimiter: string; batchRows: string; stream?: boolean }) => {
    await checkOutputs([{ flag: '--out', path: opts.out, kind: 'file' }], [{ flag: '<csv>', path: csv }, ...(opts.schema === undefined ? [] : [{ flag: '--schema', path: opts.schema }])]);
    const mapping = await schemaFromOptions(opts);
    const rows = await importCsv(csv, opts.out, mapping, {
      delimiter: opts.delimiter,
      batchRows: integerFlag('--batch-rows', opts.batchRows),
      format: opts.stream ? 'stream' : 'file',
    });
    process.stdout.write(`wrote ${opts.out} (${rows} rows)\n`);
  });
}
