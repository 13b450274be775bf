/**
 * `meles generate --out DIR [--clients N] [--seed S] [--parts N]`: writes synthetic `transactions.arrow`
 * (or `transactions/part-NNNNN.arrow` in N parts), `targets.arrow` and `schema.json` (see
 * data/README.md for the generative process).
 */
import type { Command } from 'commander';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import { integerFlag } from '../flags.js';
import { checkOutputs } from '../../data/output-guard.js';

/** Registers `meles generate`. */
export function register(program: Command): void {
  program
    .command('generate')
    .description('write a synthetic transactions dataset (transactions.arrow, targets.arrow, schema.json)')
    .requiredOption('--out <dir>', 'output directory')
    .option('--clients <n>', 'number of clients', '5000')
    .option('--seed <s>', 'random seed', '42')
    .option('--min-events <n>', 'fewest events per client', '100')
    .option('--max-events <n>', 'most events per client', '300')
    .option('--parts <n>', 'write transactions/part-NNNNN.arrow in n files (whole blocks of 4096 clients; together equal to the one file)', '1')
    .action(async (opts: { out: string; clients: string; seed: string; minEvents: string; maxEvents: string; parts: string }) => {
      await checkOutputs([{ flag: '--out', path: opts.out, kind: 'folder' }], []);
      const started = Date.now();
      const summary = await generateTransactions({
        out: opts.out,
        clients: integerFlag('--clients', opts.clients),
        seed: integerFlag('--seed', opts.seed),
        minEvents: integerFlag('--min-events', opts.minEvents),
        maxEvents: integerFlag('--max-events', opts.maxEvents),
        parts: integerFlag('--parts', opts.parts),
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        `wrote ${summary.transactionsPath} (${summary.events} events, ${summary.clients} clients), ${summary.targetsPath}, ${summary.schemaPath} in ${seconds} s\n`,
      );
    });
}
