/**
 * `meles finetune --model RUN --data FILE --targets FILE --target COLUMN:binary|multiclass --out DIR
 * [--id COLUMN] [--epochs 10] [--encoder-lr 1e-4] [--head-lr 2e-3] [--freeze-encoder]
 * [--no-standardize-embedding] [flags]`:
 * fine-tunes a MeLES or CPC model with a fresh classification head on labelled clients (ptls
 * `SequenceToTarget`); the data is read with the model's schema mapping and vocabularies. DIR
 * becomes a model directory with `head.bin` and `task.json`. Bad labels exit 2 with nothing
 * written; Ctrl-C saves a checkpoint and exits 130, `--resume` continues.
 */
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { parseTargetSpec } from '../../data/label-file.js';
import { BACKENDS, type BackendName } from '../../encoders/backend.js';
import { finetuneFromFile } from '../../training/labelled/labelled-from-file.js';
import { readTrainingConfig, type TrainingConfigInput } from '../../training/training-options.js';
import { optionalIntegerFlag, optionalNumberFlag } from '../flags.js';
import { trainingProgressBar } from '../progress-bar.js';

interface FinetuneFlags {
  readonly model: string;
  readonly data: string;
  readonly targets: string;
  readonly target: string;
  readonly id?: string;
  readonly out: string;
  readonly config?: string;
  readonly epochs?: string;
  readonly encoderLr?: string;
  readonly headLr?: string;
  readonly freezeEncoder?: boolean;
  /** commander's `--no-standardize-embedding`: true unless the flag is given. */
  readonly standardizeEmbedding: boolean;
  readonly batchSize?: string;
  readonly seed?: string;
  readonly maxBatches?: string;
  readonly backend: BackendName | 'auto';
  readonly resume?: boolean;
  readonly quiet?: boolean;
}

/** Registers `meles finetune`. */
export function register(program: Command): void {
  const cmd = new Command('finetune')
    .description('fine-tune a MeLES or CPC model with a classification head on labelled clients')
    .requiredOption('--model <dir>', 'pretrained model directory (meles train)')
    .requiredOption('--data <file>', 'transactions Arrow file (read with the model\'s schema mapping and vocabularies)')
    .requiredOption('--targets <file>', 'label file (Arrow or CSV)')
    .requiredOption('--target <column:kind>', 'label column and kind, binary or multiclass')
    .option('--id <column>', 'id column of the label file (default: the model\'s id column)')
    .requiredOption('--out <dir>', 'output model directory (with head.bin, task.json, metrics.jsonl, checkpoint/)')
    .option('--config <file>', 'training config JSON (splitter, batchSize, schedule, …); flags override it')
    .option('--epochs <n>', 'epochs (default 10)')
    .option('--encoder-lr <x>', 'Adam learning rate of the encoder (default 1e-4)')
    .option('--head-lr <x>', 'Adam learning rate of the head (default 2e-3)')
    .option('--freeze-encoder', 'train the head only; the encoder stays bit-identical')
    .option('--no-standardize-embedding', 'feed the head the raw embedding (default: each component standardised with its mean and std over the training clients, ptls Head(use_batch_norm=True))')
    .option('--batch-size <n>', 'clients per batch')
    .option('--seed <n>', 'seed')
    .option('--max-batches <n>', 'stop each epoch after n batches (0 = all)')
    .addOption(new Option('--backend <name>', 'tfjs backend').choices(['auto', ...BACKENDS]).default('auto'))
    .option('--resume', 'continue from DIR/checkpoint')
    .option('--quiet', 'no progress bar')
    .action(async (opts: FinetuneFlags) => {
      const target = parseTargetSpec(opts.target);
      const fromFile = opts.config === undefined ? {} : await readTrainingConfig(opts.config);
      const flags: TrainingConfigInput = {
        epochs: optionalIntegerFlag('--epochs', opts.epochs),
        batchSize: optionalIntegerFlag('--batch-size', opts.batchSize),
        seed: optionalIntegerFlag('--seed', opts.seed),
        maxBatchesPerEpoch: optionalIntegerFlag('--max-batches', opts.maxBatches),
      };
      const finetune = {
        ...(opts.encoderLr === undefined ? {} : { encoderLearningRate: optionalNumberFlag('--encoder-lr', opts.encoderLr)! }),
        ...(opts.headLr === undefined ? {} : { headLearningRate: optionalNumberFlag('--head-lr', opts.headLr)! }),
        freezeEncoder: opts.freezeEncoder === true,
        standardizeEmbedding: opts.standardizeEmbedding,
      };
      const controller = new AbortController();
      const onSigint = (): void => {
        process.stderr.write('\nmeles finetune: interrupted; saving a checkpoint after this batch (Ctrl-C again to kill)\n');
        controller.abort();
        process.removeListener('SIGINT', onSigint);
      };
      process.on('SIGINT', onSigint);
      const bar = trainingProgressBar(opts.quiet !== true);
      try {
        const result = await finetuneFromFile({
          model: opts.model,
          data: opts.data,
          labels: { path: opts.targets, idColumn: opts.id, target },
          outDir: opts.out,
          config: [fromFile, flags],
          configSource: opts.config ?? 'command-line flags',
          finetune,
          resume: opts.resume === true,
          backend: opts.backend,
          signal: controller.signal,
          onProgress: bar.onProgress,
        });
        bar.stop();
        if (result.aborted) {
          process.stderr.write(`meles finetune: checkpoint saved in ${join(opts.out, 'checkpoint')}; continue with --resume\n`);
          process.exitCode = 130;
          return;
        }
        const last = result.epochs.at(-1);
        const rates = result.learningRates.map((g) => `${g.name} lr ${g.learningRate}`).join(', ');
        process.stderr.write(
          `meles finetune: ${result.epochs.length} epoch(s) on ${result.backend} (${rates})` + (last ? `, last loss ${last.loss.toFixed(4)}` : '') + ` → ${opts.out}\n`,
        );
      } finally {
        bar.stop();
        process.removeListener('SIGINT', onSigint);
      }
    });
  program.addCommand(cmd);
}
