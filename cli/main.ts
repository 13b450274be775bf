/**
 * The `meles` command line. Each subcommand lives in `cli/commands/<name>.ts` and exports
 * `register(program)`; this file only wires them up and maps errors to exit codes:
 * 0 success, 2 bad input or bad usage (message on stderr), 3 Redis unavailable (down, refusing the
 * password, TLS mismatch, unknown host, no answer), 130 interrupted, 1 anything else.
 */
import { Command, CommanderError } from 'commander';
import { isBadInputError, RedisUnavailableError } from '../errors.js';
import { commandsFor } from './commands/index.js';

const program = new Command('meles')
  .description('MeLES / CoLES: self-supervised embeddings of event sequences')
  .option('--verbose', 'print stack traces on errors')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

for (const entry of commandsFor(process.argv.slice(2))) (await entry.load())(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  process.exitCode = exitCodeFor(error, program.opts<{ verbose?: boolean }>().verbose === true);
}

function exitCodeFor(error: unknown, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // Help and version exit through here with code 0; usage errors were already printed.
    return error.exitCode === 0 ? 0 : 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`meles: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  if (error instanceof RedisUnavailableError) return 3;
  return isBadInputError(error) ? 2 : 1;
}
