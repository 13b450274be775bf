/**
 * Training checkpoints (`RUN_DIR/checkpoint/`): weights (the model's and the objective's own:
 * loss variables such as CosFace's class weights, CPC's heads, a classification head), Adam
 * moments and the trainer's position (epoch, batch, schedule). Written into a temporary directory that then replaces the previous
 * checkpoint, so an interrupted write never leaves a mixed checkpoint behind.
 */
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import type { EncoderConfig } from '../encoders/encoder-config.js';
import type { NamedParameter } from '../encoders/parameters.js';
import { ConfigError, DataFormatError } from '../errors.js';
import type { Adam } from './adam.js';
import type { ScheduleState } from './lr-schedule.js';
import { readJson, writeJson } from './model-files.js';
import { readTensorFile, writeTensorFile } from '../data/tensor-file.js';
import { resolveTrainingOptions, type TrainingConfigInput, type TrainingOptions } from './training-options.js';

const CHECKPOINT_VERSION = 1;

/** Where training stands. */
export interface TrainerPosition {
  /** Next epoch to run (0-based). */
  readonly epoch: number;
  /** Next batch within that epoch. */
  readonly batch: number;
  /** Learning-rate schedule state. */
  readonly schedule: ScheduleState;
}

/** The checkpoint directory of a run. */
export function checkpointDir(runDir: string): string {
  return join(runDir, 'checkpoint');
}

/** True when `runDir` has a checkpoint to resume from. */
export async function hasCheckpoint(runDir: string): Promise<boolean> {
  try {
    await stat(join(checkpointDir(runDir), 'state.json'));
    return true;
  } catch {
    return false;
  }
}

/**
 * What a checkpoint holds besides the optimizer: every parameter (model first, then the
 * objective's; names unique), the architecture, and a JSON `context` that must match on resume
 * (the labelled task, fine-tuning settings; `null` for MeLES and CPC).
 */
export interface CheckpointSubject {
  readonly parameters: readonly NamedParameter[];
  readonly encoder: EncoderConfig;
  readonly context?: unknown;
}

/** Saves a checkpoint, replacing the previous one. */
export async function saveCheckpoint(runDir: string, subject: CheckpointSubject, adam: Adam, options: TrainingOptions, position: TrainerPosition): Promise<void> {
  const final = checkpointDir(runDir);
  const tmp = `${final}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(tmp, { recursive: true });
  try {
    const weights = await writeTensorFile(
      join(tmp, 'weights.bin'),
      subject.parameters.map((p) => ({ name: p.name, shape: p.variable.shape, data: p.variable.dataSync() as Float32Array })),
    );
    const optimizerState = adam.state();
    const optimizer = await writeTensorFile(join(tmp, 'optimizer.bin'), optimizerState.arrays);
    await writeJson(join(tmp, 'state.json'), {
      formatVersion: CHECKPOINT_VERSION,
      position,
      adamStep: optimizerState.step,
      learningRate: adam.learningRate,
      encoder: subject.encoder,
      options,
      context: subject.context ?? null,
      weights,
      optimizer,
    });
    const old = `${final}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
    await rename(final, old).catch(() => undefined);
    await rename(tmp, final);
    await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Restores weights and optimizer state into `model` and `adam` and returns the position.
 * Refuses a checkpoint whose architecture or training options differ from this run's (resuming
 * with different settings would silently train a different model).
 */
export async function loadCheckpoint(runDir: string, subject: CheckpointSubject, adam: Adam, options: TrainingOptions): Promise<TrainerPosition> {
  const dir = checkpointDir(runDir);
  const state = (await readJson(join(dir, 'state.json'), 'checkpoint state')) as {
    formatVersion?: unknown;
    position?: TrainerPosition;
    adamStep?: number;
    learningRate?: number;
    encoder?: EncoderConfig;
    options?: TrainingOptions;
    context?: unknown;
    weights?: unknown;
    optimizer?: unknown;
  };
  if (state.formatVersion !== CHECKPOINT_VERSION) throw new DataFormatError(`${dir}/state.json: expected formatVersion ${CHECKPOINT_VERSION}, got ${JSON.stringify(state.formatVersion)}`);
  if (JSON.stringify(state.encoder) !== JSON.stringify(subject.encoder)) {
    throw new ConfigError(`${dir}: the checkpoint's architecture differs from this run's; resume with the same data and options, or train into a new directory`);
  }
  const { epochs: _savedEpochs, ...savedRest } = normalised(state.options);
  const { epochs: _epochs, ...rest } = options;
  if (JSON.stringify(savedRest) !== JSON.stringify(rest)) {
    throw new ConfigError(`${dir}: the checkpoint was trained with different options (only \`epochs\` may change on resume)`);
  }
  if (JSON.stringify(state.context ?? null) !== JSON.stringify(subject.context ?? null)) {
    throw new ConfigError(`${dir}: the checkpoint was trained for a different task or initialisation (${JSON.stringify(state.context ?? null)}); train into a new directory`);
  }
  assignParameters(subject.parameters, await readTensorFile(join(dir, 'weights.bin'), state.weights), `${dir}/weights.bin`);
  adam.restore(state.adamStep ?? 0, await readTensorFile(join(dir, 'optimizer.bin'), state.optimizer));
  adam.learningRate = state.learningRate ?? options.learningRate;
  if (state.position === undefined) throw new DataFormatError(`${dir}/state.json: no \`position\``);
  return state.position;
}

/**
 * Saved options re-resolved, so a checkpoint written before an option existed (say `method`)
 * compares equal to the same run's options with that option at its default.
 */
function normalised(saved: TrainingOptions | undefined): Partial<TrainingOptions> {
  if (saved === undefined) return {};
  try {
    return resolveTrainingOptions('checkpoint', saved as unknown as TrainingConfigInput);
  } catch {
    return saved;
  }
}

/** Overwrites `parameters` from `values`; names and sizes must match exactly (both ways). */
function assignParameters(parameters: readonly NamedParameter[], values: ReadonlyMap<string, Float32Array>, where: string): void {
  const known = new Set(parameters.map((p) => p.name));
  for (const name of values.keys()) {
    if (!known.has(name)) throw new DataFormatError(`${where}: unknown parameter \`${name}\` (the checkpoint was made by a different objective or model)`);
  }
  for (const { name, variable } of parameters) {
    const data = values.get(name);
    if (data === undefined) throw new DataFormatError(`${where}: no parameter \`${name}\` (the checkpoint was made by a different objective or model)`);
    if (data.length !== variable.size) throw new DataFormatError(`${where}: parameter \`${name}\`: expected ${variable.size} values, found ${data.length}`);
    tf.tidy(() => variable.assign(tf.tensor(data, variable.shape, 'float32')));
  }
}

/**
 * The training options a checkpoint was saved with, as a config layer: `meles train --resume`
 * starts from them, so only the flags that change something (usually `--epochs`) need repeating.
 */
export async function readCheckpointOptions(runDir: string): Promise<TrainingConfigInput> {
  const state = (await readJson(join(checkpointDir(runDir), 'state.json'), 'checkpoint state')) as { options?: unknown };
  if (typeof state.options !== 'object' || state.options === null) throw new DataFormatError(`${checkpointDir(runDir)}/state.json: no \`options\``);
  return state.options as TrainingConfigInput;
}
