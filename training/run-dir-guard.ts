/**
 * What `meles train --out DIR` may write into. Training writes its model files, `metrics.jsonl`
 * and `checkpoint/` straight into DIR, so without this check a typo'd `--out` silently replaced
 * an earlier run or overwrote files of a data folder (its `schema.json`). The rules:
 * - a missing or empty DIR is fine (its nearest existing ancestor must be writable);
 * - an existing run (has `model.json` or `checkpoint/`) needs `--resume` (continue it) or
 *   `--force` (replace it);
 * - any other non-empty folder needs `--force`;
 * - `--force` on an existing run removes its files first (a replaced run keeps no old metrics);
 * - even with `--force`, no input (`--data`, `--schema`, `--config`, `--targets`) may be one of the files
 *   training writes, so the user's `schema.json` beside the data is never overwritten.
 */
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { checkOutputs, realPathOf, type InputPath, type OutputPath } from '../data/output-guard.js';
import { ConfigError } from '../errors.js';
import { EPOCH_METRICS_FILE } from './epoch-metrics.js';

/** Files a training run writes into its folder (model directory + metrics); `checkpoint/` is a folder. */
export const RUN_FILES = ['model.json', 'weights.bin', 'vocabularies.json', 'schema.json', 'training.json', 'head.bin', 'task.json', EPOCH_METRICS_FILE] as const;

/** The checkpoint folder inside a run folder. */
const CHECKPOINT_DIR = 'checkpoint';

/** Options of {@link checkRunDirectory}. */
export interface RunDirectoryCheck {
  /** The `--out` folder. */
  readonly outDir: string;
  /** `--resume` was given: an existing run is continued. @defaultValue `false` */
  readonly resume?: boolean;
  /** `--force` was given: an existing run or other non-empty folder is written over. @defaultValue `false` */
  readonly force?: boolean;
  /** The transactions file (`--data`). */
  readonly data: string;
  /** The schema mapping file (`--schema`). @defaultValue none (mapping given as flags) */
  readonly schema?: string;
  /** The training config file (`--config`). @defaultValue none */
  readonly config?: string;
  /** The label file of supervised training (`--targets`). @defaultValue none */
  readonly targets?: string;
  /** The flag naming the folder, for messages. @defaultValue `'--out'` */
  readonly flag?: string;
}

/**
 * Refuses, before any work, a training output folder that would overwrite something it should not
 * (see the module comment).
 * @throws ConfigError naming the flag, the folder and what was found in it.
 */
export async function checkRunDirectory(check: RunDirectoryCheck): Promise<void> {
  const flag = check.flag ?? '--out';
  const outputs: OutputPath[] = [
    { flag, path: check.outDir, kind: 'folder' },
    ...RUN_FILES.map((name): OutputPath => ({ flag, path: join(check.outDir, name), kind: 'file', inNewFolder: true })),
    { flag, path: join(check.outDir, CHECKPOINT_DIR), kind: 'replaced-folder' },
  ];
  const inputs: InputPath[] = [{ flag: '--data', path: check.data }];
  if (check.config !== undefined) inputs.push({ flag: '--config', path: check.config });
  if (check.targets !== undefined) inputs.push({ flag: '--targets', path: check.targets });
  // A resumed run may be given its own schema.json, which it rewrites unchanged.
  const ownSchema = check.resume === true && check.schema !== undefined && (await realPathOf(check.schema)) === (await realPathOf(join(check.outDir, 'schema.json')));
  if (check.schema !== undefined && !ownSchema) inputs.push({ flag: '--schema', path: check.schema });
  const entries = (await readdir(check.outDir).catch(() => [] as string[])).sort();
  const isRun = entries.includes('model.json') || entries.includes(CHECKPOINT_DIR);
  if (entries.length > 0 && check.force !== true) {
    if (isRun && check.resume !== true) {
      throw new ConfigError(
        `\`${flag}\` ${check.outDir} already holds a training run (${entries.includes(CHECKPOINT_DIR) ? 'checkpoint/' : 'model.json'}); pass --resume to continue it or --force to replace it`,
      );
    }
    if (!isRun) {
      const shown = entries.slice(0, 3).join(', ') + (entries.length > 3 ? `, … (${entries.length} entries)` : '');
      throw new ConfigError(`\`${flag}\` ${check.outDir} is a non-empty folder that is not a meles run (found ${shown}); choose an empty or new folder, or pass --force`);
    }
  }
  // Even with --force: never write over an input.
  await checkOutputs(outputs, inputs);
  if (isRun && check.resume !== true && check.force === true) {
    // Replacing a run: its old metrics would be appended to and its old model files would sit
    // beside the new run's schema and vocabularies until the first epoch ends.
    for (const name of [...RUN_FILES, CHECKPOINT_DIR]) await rm(join(check.outDir, name), { recursive: true, force: true });
  }
}

/** The files of a model directory read by `meles embed --model DIR`, as inputs for {@link checkOutputs}. */
export function modelDirectoryInputs(flag: string, dir: string): InputPath[] {
  return RUN_FILES.filter((name) => name !== EPOCH_METRICS_FILE).map((name) => ({ flag, path: join(dir, name) }));
}
