/**
 * The list of subcommands, loaded lazily: `meles inspect` should not pay for loading tfjs, vega,
 * LightGBM and BullMQ (every command's module graph at once took ~3 s of start-up per process on an
 * idle machine and over 10 s on a loaded one). Each entry registers one command (or one command group) on the
 * program; add a line here when you add a file under `cli/commands/`.
 */
import type { Command } from 'commander';

/** Registers one subcommand on the program. */
export type RegisterCommand = (program: Command) => void;

/** One subcommand: its name on the command line and how to load its module. */
export interface CommandEntry {
  /** The first word after `meles` that selects it. */
  readonly name: string;
  /** Imports the module and returns its `register`. */
  readonly load: () => Promise<RegisterCommand>;
}

/** Every subcommand of `meles`, in help order. */
export const commands: readonly CommandEntry[] = [
  { name: 'demo', load: async () => (await import('./demo.js')).register },
  { name: 'generate', load: async () => (await import('./generate.js')).register },
  { name: 'inspect', load: async () => (await import('./inspect.js')).register },
  { name: 'import-csv', load: async () => (await import('./import-csv.js')).register },
  { name: 'features', load: async () => (await import('./features.js')).register },
  { name: 'evaluate', load: async () => (await import('./evaluate.js')).register },
  { name: 'compare', load: async () => (await import('./compare.js')).register },
  { name: 'evaluate-model', load: async () => (await import('./evaluate-model.js')).register },
  { name: 'train', load: async () => (await import('./train.js')).register },
  { name: 'finetune', load: async () => (await import('./finetune.js')).register },
  { name: 'embed', load: async () => (await import('./embed.js')).register },
  { name: 'report', load: async () => (await import('./report.js')).register },
  { name: 'pipeline', load: async () => (await import('./pipeline.js')).register },
  { name: 'worker', load: async () => (await import('./worker.js')).register },
  { name: 'status', load: async () => (await import('./status.js')).register },
  { name: 'schedule', load: async () => (await import('./schedule.js')).register },
  { name: 'model', load: async () => (await import('./model.js')).register },
  { name: 'fit', load: async () => (await import('./fit.js')).register },
  { name: 'score', load: async () => (await import('./score.js')).register },
  { name: 'experiment', load: async () => (await import('./experiment.js')).register },
  { name: 'partition', load: async () => (await import('./partition.js')).register },
];

/**
 * The commands to register for these arguments: only the named one when the first word names a
 * command, else all of them (for `--help` and for commander's "unknown command" message).
 */
export function commandsFor(args: readonly string[]): readonly CommandEntry[] {
  const word = args.find((a) => !a.startsWith('-'));
  const named = commands.find((c) => c.name === word);
  return named === undefined ? commands : [named];
}
