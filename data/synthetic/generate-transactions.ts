/**
 * `generateTransactions`: writes a synthetic transactions file, a targets file and the schema
 * mapping, modelled on the public age-group and gender datasets. Deterministic given the seed.
 * Clients are generated in blocks whose events are interleaved by day before writing, so each
 * client's events are spread over many record batches, as in real exports.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { expectInteger } from '../../options.js';
import { ConfigError } from '../../errors.js';
import { Rng } from '../random.js';
import { tableFromColumns, writeArrowFile, writeArrowTable } from '../arrow-sink.js';
import { writeAtomically } from '../atomic-write.js';
import type { SchemaMapping } from '../schema-mapping.js';
import { drawClientEvents, drawTargets, type EventBuffers } from './client-events.js';
import { DEFAULT_STRENGTHS, createWorld, type SignalStrengths } from './world.js';

/** Options of {@link generateTransactions}. */
export interface GenerateOptions {
  /** Output directory (created if missing). */
  readonly out: string;
  /** Number of clients. Minimum: `1`. @defaultValue `5000` */
  readonly clients?: number;
  /** Seed; equal seeds give byte-identical files. @defaultValue `42` */
  readonly seed?: number;
  /** Fewest events per client. Minimum: `1`. @defaultValue `100` */
  readonly minEvents?: number;
  /** Most events per client (lengths are uniform in [minEvents, maxEvents]). @defaultValue `300` */
  readonly maxEvents?: number;
  /** Rows per record batch. Minimum: `1`. @defaultValue `65536` */
  readonly batchRows?: number;
  /** Strength of the planted signals. @defaultValue {@link DEFAULT_STRENGTHS} */
  readonly strengths?: SignalStrengths;
  /**
   * Transactions files to write: 1 writes `transactions.arrow`; more write `transactions/part-NNNNN.arrow`,
   * each a run of whole client blocks (4096 clients), together the same rows in the same order as
   * the one file. At most one part per block. @defaultValue `1`
   */
  readonly parts?: number;
}

/** What was written. */
export interface GenerateSummary {
  /** `DIR/transactions.arrow`, or the folder `DIR/transactions/` with `parts` > 1. */
  readonly transactionsPath: string;
  /** `DIR/targets.arrow` (`client_id, age_group, gender`). */
  readonly targetsPath: string;
  /** `DIR/schema.json`, the mapping of the transactions file ({@link SYNTHETIC_SCHEMA}). */
  readonly schemaPath: string;
  /** Number of clients written. */
  readonly clients: number;
  /** Number of events (rows) written. */
  readonly events: number;
}

/** The schema mapping of the generated transactions file. */
export const SYNTHETIC_SCHEMA: SchemaMapping = {
  id: 'client_id',
  time: 'trans_date',
  categorical: ['small_group', 'tr_type'],
  numeric: ['amount_rur'],
  transforms: { amount_rur: 'log' },
};

// Clients per interleaving block: large enough that a client spans several batches, small
// enough that the block buffers stay a few tens of MB.
const BLOCK_CLIENTS = 4096;
const DAYS = 800;

/** Generates `transactions.arrow`, `targets.arrow` and `schema.json` in `options.out`. */
export async function generateTransactions(options: GenerateOptions): Promise<GenerateSummary> {
  const clients = expectInteger('clients', options.clients ?? 5000, 1, 50_000_000);
  const seed = expectInteger('seed', options.seed ?? 42, 0, 2 ** 32 - 1);
  const minEvents = expectInteger('minEvents', options.minEvents ?? 100, 1);
  const maxEvents = expectInteger('maxEvents', options.maxEvents ?? 300, 1);
  if (maxEvents < minEvents) throw new ConfigError(`\`maxEvents\` must be >= \`minEvents\` (got ${maxEvents} < ${minEvents})`);
  const batchRows = expectInteger('batchRows', options.batchRows ?? 65536, 1);
  const blocks = Math.ceil(clients / BLOCK_CLIENTS);
  const parts = expectInteger('parts', options.parts ?? 1, 1, blocks);
  const world = createWorld(seed, options.strengths ?? DEFAULT_STRENGTHS);
  const rng = new Rng(seed);
  const ages = new Int32Array(clients);
  const genders = new Int32Array(clients);
  let events = 0;

  // Blocks are drawn in order from one Rng, so writing them part by part draws exactly what one file would.
  async function* batches(fromBlock: number, toBlock: number): AsyncGenerator<RecordBatch> {
    for (let first = fromBlock * BLOCK_CLIENTS; first < Math.min(clients, toBlock * BLOCK_CLIENTS); first += BLOCK_CLIENTS) {
      const last = Math.min(clients, first + BLOCK_CLIENTS);
      const lengths = Int32Array.from({ length: last - first }, () => rng.int(minEvents, maxEvents));
      const total = lengths.reduce((a, b) => a + b, 0);
      const block = allocate(total);
      let at = 0;
      for (let c = first; c < last; c++) {
        const targets = drawTargets(rng);
        ages[c] = targets.age;
        genders[c] = targets.gender;
        drawClientEvents(world, rng, c, targets, lengths[c - first]!, block, at);
        at += lengths[c - first]!;
      }
      events += total;
      const ordered = interleaveByDay(block);
      for (let start = 0; start < total; start += batchRows) yield slice(ordered, start, Math.min(total, start + batchRows));
    }
  }

  await mkdir(options.out, { recursive: true });
  const transactionsPath = join(options.out, parts === 1 ? 'transactions.arrow' : 'transactions');
  const targetsPath = join(options.out, 'targets.arrow');
  const schemaPath = join(options.out, 'schema.json');
  if (parts === 1) await writeArrowFile(transactionsPath, batches(0, blocks));
  else {
    await mkdir(transactionsPath, { recursive: true });
    for (let p = 0; p < parts; p++) {
      await writeArrowFile(join(transactionsPath, `part-${String(p).padStart(5, '0')}.arrow`), batches(Math.floor((p * blocks) / parts), Math.floor(((p + 1) * blocks) / parts)));
    }
  }
  await writeArrowTable(targetsPath, tableFromColumns({ client_id: Int32Array.from({ length: clients }, (_, i) => i), age_group: ages, gender: genders }));
  await writeAtomically(schemaPath, (tmp) => writeFile(tmp, `${JSON.stringify(SYNTHETIC_SCHEMA, null, 2)}\n`));
  return { transactionsPath, targetsPath, schemaPath, clients, events };
}

function allocate(n: number): EventBuffers {
  return {
    client: new Int32Array(n),
    time: new Float64Array(n),
    smallGroup: new Int32Array(n),
    trType: new Int32Array(n),
    amount: new Float32Array(n),
  };
}

/** Stable counting sort of a block by whole day: rows of one day stay in client-then-time order. */
function interleaveByDay(block: EventBuffers): EventBuffers {
  const n = block.client.length;
  const starts = new Int32Array(DAYS + 1);
  const day = (i: number): number => Math.min(DAYS - 1, Math.floor(block.time[i]!));
  for (let i = 0; i < n; i++) starts[day(i) + 1]!++;
  for (let d = 0; d < DAYS; d++) starts[d + 1]! += starts[d]!;
  const out = allocate(n);
  for (let i = 0; i < n; i++) {
    const j = starts[day(i)]!++;
    out.client[j] = block.client[i]!;
    out.time[j] = block.time[i]!;
    out.smallGroup[j] = block.smallGroup[i]!;
    out.trType[j] = block.trType[i]!;
    out.amount[j] = block.amount[i]!;
  }
  return out;
}

function slice(b: EventBuffers, start: number, end: number): RecordBatch {
  const table = tableFromColumns({
    client_id: b.client.slice(start, end),
    trans_date: b.time.slice(start, end),
    small_group: b.smallGroup.slice(start, end),
    tr_type: b.trType.slice(start, end),
    amount_rur: b.amount.slice(start, end),
  });
  return table.batches[0]!;
}
