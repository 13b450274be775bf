/**
 * The data an experiment trains and evaluates on: the user's files, or `meles generate` data with
 * the scale's seed and size, generated once into `DIR/data/<clients>-<seed>` (a stamp file says it
 * finished, so a re-run or another experiment in the same DIR reuses it).
 */
import { access, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../../data/atomic-write.js';
import { readOptionalJsonFile } from '../../data/json-file.js';
import type { TargetSpec } from '../../data/label-file.js';
import { readSchemaMapping } from '../../data/schema-mapping-io.js';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import type { UserData } from './experiment-options.js';
import type { ExperimentScale } from './experiment-types.js';
import type { ExperimentData } from './variant-training.js';

/** Data plus labels, resolved. */
export interface ResolvedData extends ExperimentData {
  /** Label file. */
  readonly targetsPath: string;
  /** Id column of the label and feature files. */
  readonly idColumn: string;
  /** Targets, one table column each. */
  readonly targets: readonly TargetSpec[];
  /** How the data was made (for NAME.json). */
  readonly origin: { readonly kind: 'generated'; readonly clients: number; readonly seed: number; readonly reused: boolean } | { readonly kind: 'user' };
}

/** The targets of the generated data: the lecture's two tasks. */
const SYNTHETIC_TARGETS: readonly TargetSpec[] = [
  { column: 'age_group', kind: 'multiclass' },
  { column: 'gender', kind: 'binary' },
];

const stampSchema = z.object({ clients: z.number(), seed: z.number(), events: z.number() });

/** Resolves the user's data, or generates (or reuses) the scale's synthetic data under `root/data`. */
export async function resolveExperimentData(root: string, scale: ExperimentScale, user: UserData | undefined): Promise<ResolvedData> {
  if (user !== undefined) {
    const schema = await readSchemaMapping(user.schema);
    return {
      transactions: resolve(user.transactions),
      schema,
      targetsPath: resolve(user.targets),
      idColumn: user.id ?? schema.id,
      targets: user.targetColumns,
      origin: { kind: 'user' },
    };
  }
  const dir = join(root, 'data', `${scale.clients}-${scale.seed}`);
  const stampPath = join(dir, 'generated.json');
  const stamp = await readOptionalJsonFile(stampPath, 'generated data stamp', stampSchema);
  const paths = { transactions: join(dir, 'transactions.arrow'), targets: join(dir, 'targets.arrow'), schema: join(dir, 'schema.json') };
  const complete = stamp?.clients === scale.clients && stamp.seed === scale.seed && (await exists(paths.transactions, paths.targets, paths.schema));
  if (!complete) {
    const summary = await generateTransactions({ out: dir, clients: scale.clients, seed: scale.seed });
    const stampJson = JSON.stringify({ clients: summary.clients, seed: scale.seed, events: summary.events });
    await writeAtomically(stampPath, (tmp) => writeFile(tmp, `${stampJson}\n`));
  }
  return {
    transactions: paths.transactions,
    schema: await readSchemaMapping(paths.schema),
    targetsPath: paths.targets,
    idColumn: 'client_id',
    targets: SYNTHETIC_TARGETS,
    origin: { kind: 'generated', clients: scale.clients, seed: scale.seed, reused: complete },
  };
}

async function exists(...paths: string[]): Promise<boolean> {
  try {
    await Promise.all(paths.map((p) => access(p)));
    return true;
  } catch {
    return false;
  }
}
