/**
 * `meles features --data DATASET (--schema F | flags) [--as-of TIME] --out FILE.arrow`: the hand-crafted
 * aggregate baseline (ptls AggFeatureSeqEncoder) as an Arrow file keyed by client id.
 */
import { Command } from 'commander';
import { addAsOfOption, addSchemaOptions, asOfFromOptions, schemaFromOptions, type AsOfFlags, type SchemaFlags } from '../schema-options.js';
import { writeAggregateFeatures } from '../../downstream/features/aggregate-features-io.js';
import { loadVocabularies } from '../../data/vocabulary.js';
import { ConfigError } from '../../errors.js';
import { checkOutputs } from '../../data/output-guard.js';
import { readPartitionManifest } from '../../data/partition-file.js';
import { validateSchemaMapping } from '../../data/schema-mapping-io.js';
import { addPartitionRunOptions, isPartitionedDataset, refuseSubmitFlags, runPartitioned, wantsPartitionedOutput, type PartitionRunFlags } from '../partition-run.js';

interface FeaturesFlags extends SchemaFlags, AsOfFlags, PartitionRunFlags {
  readonly data: string;
  readonly out: string;
  readonly maxValues: string;
  readonly vocabularies?: string;
}

/** Registers `meles features`. */
export function register(program: Command): void {
  const cmd = new Command('features')
    .description('hand-crafted aggregate features per client (length; sum/mean/std; per-category count/mean/std; distinct counts)')
    .requiredOption('--data <dataset>', "transactions: Arrow IPC or Parquet file, a directory of them, or a quoted glob ('daily/*.arrow')")
    .requiredOption('--out <file>', 'output Arrow file: client id + one Float32 column per feature (for a partitioned dataset and an --out without a file ending: a directory of parts + manifest.json)')
    .option('--max-values <n>', 'category values kept per categorical column; rarer ones pool into <unk>', '250')
    .option('--vocabularies <file>', 'vocabularies JSON (e.g. from training) so several files get identical feature columns');
  addPartitionRunOptions(addAsOfOption(addSchemaOptions(cmd))).action(async (opts: FeaturesFlags) => {
    if (wantsPartitionedOutput(opts.out, opts) && (await isPartitionedDataset(opts.data))) return featuresOfPartitions(opts);
    refuseSubmitFlags(opts, opts.data);
    const inputs = [['--data', opts.data], ['--schema', opts.schema], ['--vocabularies', opts.vocabularies]] as const;
    await checkOutputs([{ flag: '--out', path: opts.out, kind: 'file' }], inputs.flatMap(([flag, path]) => (path === undefined ? [] : [{ flag, path }])));
    const asOf = asOfFromOptions(opts);
    const mapping = await schemaFromOptions(opts);
    const maxValues = Number(opts.maxValues);
    if (!Number.isInteger(maxValues) || maxValues < 1) {
      throw new ConfigError(`Expected \`--max-values\` to be an integer >= 1, got \`${opts.maxValues}\``);
    }
    const started = performance.now();
    const vocabularies = opts.vocabularies === undefined ? undefined : await loadVocabularies(opts.vocabularies);
    const summary = await writeAggregateFeatures(opts.data, mapping, opts.out, {
      maxValuesPerCategorical: maxValues,
      ...(vocabularies === undefined ? {} : { vocabularies }),
      ...asOf,
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stderr.write(
      `features: ${summary.events} events, ${summary.clients} clients × ${summary.features} features → ${opts.out} (${seconds} s)\n`,
    );
  });
  program.addCommand(cmd);
}

/**
 * `--data` is a partition directory: one part per partition under `--out` (cli/partition-run.ts),
 * with the manifest's vocabularies (or `--vocabularies`) and, without schema flags, its schema.
 */
async function featuresOfPartitions(opts: FeaturesFlags): Promise<void> {
  if (opts.asOf !== undefined) {
    throw new ConfigError(`\`--as-of\` cannot be combined with a partitioned \`--data\` (${opts.data}): the recorded vocabularies count every event; cut the data before partitioning`);
  }
  const flagged = [opts.schema, opts.id, opts.time, opts.cat, opts.num, opts.target, opts.transform].some((v) => v !== undefined);
  const schema = flagged ? await schemaFromOptions(opts) : validateSchemaMapping((await readPartitionManifest(opts.data)).manifest.schema, `${opts.data} manifest schema`);
  const maxValues = Number(opts.maxValues);
  if (!Number.isInteger(maxValues) || maxValues < 1) throw new ConfigError(`Expected \`--max-values\` to be an integer >= 1, got \`${opts.maxValues}\``);
  const task = { kind: 'features' as const, schema, maxValues, ...(opts.vocabularies === undefined ? {} : { vocabularies: opts.vocabularies }) };
  const inputs = [['--data', opts.data], ['--schema', opts.schema], ['--vocabularies', opts.vocabularies]] as const;
  await runPartitioned('features', task, inputs.flatMap(([flag, path]) => (path === undefined ? [] : [{ flag, path }])), opts.out, opts);
}
