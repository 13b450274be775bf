/**
 * The list of subcommands. Each entry registers one command (or one command group) on the
 * program; add a line here when you add a file under `cli/commands/`.
 */
import type { Command } from 'commander';
import { register as generate } from './generate.js';
import { register as inspect } from './inspect.js';
import { register as importCsv } from './import-csv.js';
import { register as features } from './features.js';
import { register as evaluate } from './evaluate.js';
import { register as compare } from './compare.js';
import { register as evaluateModel } from './evaluate-model.js';
import { register as train } from './train.js';
import { register as finetune } from './finetune.js';
import { register as embed } from './embed.js';
import { register as report } from './report.js';
import { register as demo } from './demo.js';
import { register as pipeline } from './pipeline.js';
import { register as worker } from './worker.js';
import { register as status } from './status.js';
import { register as schedule } from './schedule.js';
import { register as model } from './model.js';
import { register as fit } from './fit.js';
import { register as score } from './score.js';
import { register as experiment } from './experiment.js';
import { register as partition } from './partition.js';

/** Registers one subcommand on the program. */
export type RegisterCommand = (program: Command) => void;

/** Every subcommand of `meles`, in help order. */
export const commands: RegisterCommand[] = [demo, generate, inspect, importCsv, features, evaluate, compare, evaluateModel, train, finetune, embed, report, pipeline, worker, status, schedule, model, fit, score, experiment, partition];
