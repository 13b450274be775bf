import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { Rng } from '../random.js';
import { readSequences } from '../read-sequences.js';
import { readSchemaMapping } from '../schema-mapping-io.js';
import { generateTransactions } from './generate-transactions.js';
import { CLUSTERS, PER_CLUSTER, createWorld } from './world.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-generate-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('generateTransactions', () => {
  it('is deterministic given the seed and differs across seeds', async () => {
    const a = await generateTransactions({ out: join(dir, 'a'), clients: 150, seed: 5, minEvents: 20, maxEvents: 40 });
    await generateTransactions({ out: join(dir, 'b'), clients: 150, seed: 5, minEvents: 20, maxEvents: 40 });
    await generateTransactions({ out: join(dir, 'c'), clients: 150, seed: 6, minEvents: 20, maxEvents: 40 });
    for (const file of ['transactions.arrow', 'targets.arrow', 'schema.json']) {
      assert.deepEqual(await readFile(join(dir, 'a', file)), await readFile(join(dir, 'b', file)), file);
    }
    assert.notDeepEqual(await readFile(join(dir, 'a', 'transactions.arrow')), await readFile(join(dir, 'c', 'transactions.arrow')));
    assert.deepEqual((await readdir(join(dir, 'a'))).sort(), ['schema.json', 'targets.arrow', 'transactions.arrow']);
    assert.equal(a.clients, 150);
  });

  it('--parts writes whole client blocks as part files that together equal the one file', async () => {
    // 9000 clients are 3 blocks of 4096: parts of 1 block each.
    const one = await generateTransactions({ out: join(dir, 'one'), clients: 9000, seed: 2, minEvents: 2, maxEvents: 4 });
    const split = await generateTransactions({ out: join(dir, 'split'), clients: 9000, seed: 2, minEvents: 2, maxEvents: 4, parts: 3 });
    assert.equal(split.transactionsPath, join(dir, 'split', 'transactions'));
    assert.deepEqual(await readdir(split.transactionsPath), ['part-00000.arrow', 'part-00001.arrow', 'part-00002.arrow']);
    const whole = tableFromIPC(await readFile(one.transactionsPath));
    const parts = await Promise.all([0, 1, 2].map(async (p) => tableFromIPC(await readFile(join(split.transactionsPath, `part-0000${p}.arrow`)))));
    assert.ok(parts.every((t) => t.numRows > 0));
    for (const column of ['client_id', 'trans_date', 'small_group', 'tr_type', 'amount_rur']) {
      assert.deepEqual(parts.flatMap((t) => Array.from(t.getChild(column)!.toArray() as ArrayLike<number>)), Array.from(whole.getChild(column)!.toArray() as ArrayLike<number>), column);
    }
    assert.deepEqual(await readFile(split.targetsPath), await readFile(one.targetsPath));
    assert.equal(split.events, one.events);
    await assert.rejects(generateTransactions({ out: join(dir, 'too-many'), clients: 9000, parts: 4 }), /Expected `parts` to be an integer from 1 to 3|`parts`/);
  });

  it('writes the documented columns, value ranges and a schema that reads the file', async () => {
    const out = join(dir, 'cols');
    const summary = await generateTransactions({ out, clients: 400, seed: 1, minEvents: 50, maxEvents: 80, batchRows: 4096 });
    const mapping = await readSchemaMapping(summary.schemaPath);
    const { sequences, vocabularies, rows } = await readSequences(summary.transactionsPath, mapping);
    assert.equal(rows, summary.events);
    assert.equal(sequences.offsets.length - 1, 400);
    for (let c = 0; c < 400; c++) {
      const length = sequences.offsets[c + 1]! - sequences.offsets[c]!;
      assert.ok(length >= 50 && length <= 80);
    }
    assert.ok(vocabularies.small_group!.size - 2 > 150 && vocabularies.small_group!.size - 2 <= 200);
    assert.equal(vocabularies.tr_type!.size - 2, 24);
    const counts = vocabularies.small_group!.counts.slice(2);
    assert.ok(counts[0]! > 10 * counts[counts.length - 1]!, 'merchant categories are long-tailed');
    const targets = tableFromIPC(await readFile(summary.targetsPath));
    assert.deepEqual(targets.schema.fields.map((f) => f.name), ['client_id', 'age_group', 'gender']);
    const ages = new Set(targets.getChild('age_group')!.toArray() as Int32Array);
    const genders = new Set(targets.getChild('gender')!.toArray() as Int32Array);
    assert.deepEqual([...ages].sort(), [0, 1, 2, 3]);
    assert.deepEqual([...genders].sort(), [0, 1]);
  });

  it('plants an order signal: each class follows its own cluster successor, which shuffling destroys', async () => {
    const seed = 9;
    const summary = await generateTransactions({ out: join(dir, 'order'), clients: 600, seed, minEvents: 100, maxEvents: 100 });
    const { sequences, vocabularies } = await readSequences(summary.transactionsPath, await readSchemaMapping(summary.schemaPath));
    const targets = tableFromIPC(await readFile(summary.targetsPath));
    const age = targets.getChild('age_group')!.toArray() as Int32Array;
    const gender = targets.getChild('gender')!.toArray() as Int32Array;
    const world = createWorld(seed);
    const clusterOfCode = new Map<string, number>();
    world.categoryCode.forEach((code, i) => clusterOfCode.set(String(code), Math.floor(i / PER_CLUSTER)));
    const clusterOfIndex = vocabularies.small_group!.tokens.map((t) => clusterOfCode.get(t) ?? -1);
    const ids = sequences.ids.values as Int32Array;
    // Fraction of steps k -> successor_c(k), for the client's own class c and for another class.
    const rate = (events: number[], cls: number): number => {
      let hits = 0;
      for (let i = 1; i < events.length; i++) if (world.successor[cls * CLUSTERS + events[i - 1]!] === events[i]) hits++;
      return hits / (events.length - 1);
    };
    let own = 0;
    let other = 0;
    let shuffled = 0;
    const shuffler = new Rng(1);
    for (let c = 0; c < ids.length; c++) {
      const events = [...sequences.categorical.small_group!.subarray(sequences.offsets[c]!, sequences.offsets[c + 1]!)].map((i) => clusterOfIndex[i]!);
      const cls = age[ids[c]!]! * 2 + gender[ids[c]!]!;
      own += rate(events, cls);
      other += rate(events, (cls + 3) % 8);
      const mixed = shuffler.shuffle([...events]);
      shuffled += rate(mixed, cls);
    }
    own /= ids.length;
    other /= ids.length;
    shuffled /= ids.length;
    assert.ok(own > other + 0.08, `own-class successor rate ${own.toFixed(3)} vs other class ${other.toFixed(3)}`);
    assert.ok(shuffled < own - 0.05, `shuffled ${shuffled.toFixed(3)} vs ordered ${own.toFixed(3)}`);
  });
});
