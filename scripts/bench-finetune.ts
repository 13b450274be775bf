/**
 * One fine-tune epoch against one MeLES epoch on the same generated data, the same encoder (the
 * MeLES model is the fine-tune's starting point) and the same batch size: prints both epoch times
 * (training only, from `metrics.jsonl`'s `seconds`; validation is off) and the ratio. The target is
 * fine-tune ≤ 1.3× MeLES. The fine-tune runs twice: with the MeLES splitter's crop (one random
 * slice of cntMin..cntMax per client, the default) and with whole sequences (splitter `none`).
 * One batch of each runs first as a warm-up, so the first epoch does not pay the kernel setup.
 *
 *   npx tsx scripts/bench-finetune.ts [--clients 1000] [--min-events 100] [--max-events 300] [--hidden 64] [--batch-size 64] [--encoder gru]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readTargets } from '../data/label-file.js';
import { readSequences } from '../data/read-sequences.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../data/synthetic/generate-transactions.js';
import { initBackend } from '../encoders/backend.js';
import { labelledClients } from '../training/labelled/label-clients.js';
import { trainLabelled } from '../training/labelled/train-labelled.js';
import { trainModel } from '../training/trainer.js';
import { resolveTrainingOptions, type TrainingConfigInput } from '../training/training-options.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '1000' },
    'min-events': { type: 'string', default: '100' },
    'max-events': { type: 'string', default: '300' },
    hidden: { type: 'string', default: '64' },
    'batch-size': { type: 'string', default: '64' },
    encoder: { type: 'string', default: 'gru' },
  },
});
const root = await mkdtemp(join(tmpdir(), 'meles-bench-finetune-'));
try {
  const backend = await initBackend('auto', { quiet: true });
  const generated = await generateTransactions({ out: join(root, 'data'), clients: Number(values.clients), minEvents: Number(values['min-events']), maxEvents: Number(values['max-events']), seed: 1 });
  const data = await readSequences(generated.transactionsPath, SYNTHETIC_SCHEMA);
  const { targets } = await readTargets(generated.targetsPath, 'client_id', [{ column: 'age_group', kind: 'multiclass' }]);
  const labelled = labelledClients(data.sequences, targets[0]!, generated.targetsPath);
  const base: TrainingConfigInput = {
    encoder: { encoder: values.encoder, hidden: Number(values.hidden) },
    batchSize: Number(values['batch-size']),
    epochs: 1,
    validationShare: 0,
    seed: 1,
  };
  // Warm-up (kernel setup, first-call costs) on a throw-away run of one batch each.
  await trainModel({ data: data.sequences, vocabularies: data.vocabularies, schema: SYNTHETIC_SCHEMA, outDir: join(root, 'warm'), options: resolveTrainingOptions('bench', base, { maxBatchesPerEpoch: 1 }), backend: 'auto' });
  const meles = await trainModel({ data: data.sequences, vocabularies: data.vocabularies, schema: SYNTHETIC_SCHEMA, outDir: join(root, 'meles'), options: resolveTrainingOptions('bench', base), backend: 'auto' });
  const m = meles.epochs[0]!;
  const finetune = async (name: string, extra: TrainingConfigInput): Promise<{ seconds: number; events: number; batches: number }> => {
    const result = await trainLabelled({
      data: data.sequences,
      vocabularies: data.vocabularies,
      schema: SYNTHETIC_SCHEMA,
      ...labelled,
      init: { kind: 'pretrained', modelDir: join(root, 'meles') },
      options: resolveTrainingOptions('bench', base, { method: 'supervised' }, extra),
      outDir: join(root, name),
      backend: 'auto',
    });
    return result.epochs[0]!;
  };
  await finetune('ft-warm', { maxBatchesPerEpoch: 1 });
  const slice = await finetune('ft-slice', {});
  const whole = await finetune('ft-whole', { splitter: { kind: 'none' } });
  const line = (name: string, e: { seconds: number; events: number; batches: number }): string =>
    `${name.padEnd(28)} ${e.seconds.toFixed(2).padStart(7)} s  ${String(e.batches).padStart(4)} batches  ${String(e.events).padStart(8)} events  ${String(Math.round(e.events / e.seconds)).padStart(7)} events/s  ratio ${(e.seconds / m.seconds).toFixed(2)}×`;
  console.log(`backend ${backend}, ${values.clients} clients (${labelled.clients.length} labelled), ${values['min-events']}–${values['max-events']} events, ${values.encoder} hidden ${values.hidden}, batch ${values['batch-size']}`);
  console.log(line('MeLES epoch (5 slices)', m));
  console.log(line('fine-tune epoch (1 slice)', slice));
  console.log(line('fine-tune epoch (whole seq.)', whole));
  console.log(`target fine-tune ≤ 1.3× MeLES: ${slice.seconds / m.seconds <= 1.3 ? 'met' : 'NOT met'} (default crop), ${whole.seconds / m.seconds <= 1.3 ? 'met' : 'NOT met'} (whole sequences)`);
} finally {
  await rm(root, { recursive: true, force: true });
}
