/**
 * Incremental vs full re-embedding, as a nightly job meets them: a history of N clients × ~100
 * events, then the newest ~1% of events arrive (by time: the synthetic generator spreads events
 * over two years, so that is the last few days rather than literally one of 100 days; the work is
 * the same: ~1% of the events, touching a large share of the clients with one or two events each).
 *
 *   npx tsx scripts/bench-incremental.ts [--clients 20000] [--min-events 50] [--max-events 150]
 *                                        [--hidden 128] [--encoder gru|lstm] [--layers 1] [--new-share 0.01] [--full-state]
 *
 * Hidden 128 by default keeps the whole run under ~3 minutes on a shared 2-core machine (the full
 * re-embedding runs twice: once as the previous run that writes the state, once to compare).
 * `--full-state` also times a full re-embedding that writes a state (what a model change costs).
 * Prints the full re-embedding time (embedFile over the whole history), the incremental time
 * (embedIncrementally: previous state + new events → embeddings of every client + new state), the
 * ratio, and the largest difference between the two embeddings (must stay below 1e-5).
 * Random (untrained) weights: the cost does not depend on the weight values.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { tableFromIPC } from 'apache-arrow';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../data/synthetic/generate-transactions.js';
import { Vocabulary } from '../data/vocabulary.js';
import { initBackend } from '../encoders/backend.js';
import { buildEncoderConfig, resolveEncoderOptions } from '../encoders/encoder-config.js';
import { SequenceModel } from '../encoders/sequence-model.js';
import { embedFile } from '../training/embed-file.js';
import { embedIncrementally } from '../training/incremental/embed-incrementally.js';
import { splitHistory, timeQuantile } from '../training/incremental/testing/split-history.js';
import { saveModelDirectory } from '../training/model-files.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '20000' },
    'min-events': { type: 'string', default: '50' },
    'max-events': { type: 'string', default: '150' },
    hidden: { type: 'string', default: '128' },
    encoder: { type: 'string', default: 'gru' },
    layers: { type: 'string', default: '1' },
    'new-share': { type: 'string', default: '0.01' },
    'full-state': { type: 'boolean', default: false },
  },
});

async function embeddings(path: string): Promise<Map<number, Float32Array>> {
  const table = tableFromIPC(await readFile(path));
  const ids = table.getChild('client_id')!.toArray() as Int32Array;
  const columns = Array.from({ length: table.numCols - 1 }, (_, j) => table.getChild(`emb_${j}`)!.toArray() as Float32Array);
  return new Map(Array.from(ids, (id, r) => [id, Float32Array.from(columns, (c) => c[r]!)]));
}

async function main(): Promise<void> {
  const backend = await initBackend('auto', { quiet: true });
  const root = await mkdtemp(join(tmpdir(), 'meles-bench-incremental-'));
  try {
    const t0 = performance.now();
    const generated = await generateTransactions({
      out: join(root, 'data'),
      clients: Number(args.clients),
      minEvents: Number(args['min-events']),
      maxEvents: Number(args['max-events']),
      seed: 13,
    });
    const cut = await timeQuantile(generated.transactionsPath, 1 - Number(args['new-share']));
    const history = join(root, 'history.arrow');
    const fresh = join(root, 'fresh.arrow');
    const split = await splitHistory({ source: generated.transactionsPath, cut, history, fresh });
    const freshClients = new Set(tableFromIPC(await readFile(fresh)).getChild('client_id')!.toArray() as Int32Array).size;
    console.log(`data: ${generated.clients} clients, ${generated.events} events; history ${split.history}, new ${split.fresh} ` +
      `(${((100 * split.fresh) / generated.events).toFixed(2)}%, ${freshClients} clients with new events), prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const vocab = Vocabulary.fromJSON({ tokens: Array.from({ length: 200 }, (_, i) => String(i)), counts: Array.from({ length: 200 }, (_, i) => 200 - i) }, 'bench');
    const encoder = args.encoder === 'lstm' ? 'lstm' : 'gru';
    const config = buildEncoderConfig(resolveEncoderOptions({ encoder, hidden: Number(args.hidden), layers: Number(args.layers) }), {
      categorical: SYNTHETIC_SCHEMA.categorical.map((name) => ({ name, vocabularySize: vocab.size })),
      numeric: SYNTHETIC_SCHEMA.numeric,
    });
    const model = new SequenceModel(config, 1);
    const modelDir = join(root, 'model');
    await saveModelDirectory(modelDir, { model, vocabularies: Object.fromEntries(SYNTHETIC_SCHEMA.categorical.map((c) => [c, vocab])), schema: SYNTHETIC_SCHEMA, training: {}, backend });
    model.dispose();
    console.log(`model: ${encoder} × ${args.layers} layer(s), hidden ${args.hidden}; backend ${backend}`);

    const state = join(root, 'state.arrow');
    const previous = await embedIncrementally({ model: modelDir, data: history, out: join(root, 'e0.arrow'), stateOut: state });
    console.log(`previous run (history from scratch, with --state-out): ${previous.seconds.toFixed(2)} s`);

    const full = await embedFile({ model: modelDir, data: generated.transactionsPath, out: join(root, 'full.arrow'), maxEvents: 100_000 });
    console.log(`full re-embedding:  ${full.seconds.toFixed(2)} s (of which reading ${full.readSeconds.toFixed(2)} s), ${full.clients} clients`);
    if (args['full-state'] === true) {
      const fullState = await embedIncrementally({ model: modelDir, data: generated.transactionsPath, out: join(root, 'full2.arrow'), stateOut: join(root, 'state-full.arrow') });
      console.log(`full with --state-out: ${fullState.seconds.toFixed(2)} s (what a model change costs the nightly job)`);
    }
    const inc = await embedIncrementally({ model: modelDir, state, data: fresh, out: join(root, 'inc.arrow'), stateOut: join(root, 'state2.arrow') });
    console.log(`incremental:        ${inc.seconds.toFixed(2)} s (of which reading ${inc.readSeconds.toFixed(2)} s), ${inc.clients} clients: ` +
      `${inc.continued} continued, ${inc.started} new, ${inc.unchanged} unchanged`);
    console.log(`ratio full / incremental: ${(full.seconds / inc.seconds).toFixed(1)}×`);

    const a = await embeddings(join(root, 'full.arrow'));
    const b = await embeddings(join(root, 'inc.arrow'));
    let worst = 0;
    for (const [id, v] of a) v.forEach((x, j) => (worst = Math.max(worst, Math.abs(x - b.get(id)![j]!))));
    console.log(`max |incremental - full| = ${worst.toExponential(2)} over ${a.size} clients (${a.size === b.size ? 'same' : 'DIFFERENT'} client sets)`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
