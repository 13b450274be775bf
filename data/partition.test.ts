import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromArrays, tableFromIPC, vectorFromArray, Dictionary, Utf8, Int32, Table } from 'apache-arrow';
import { ConfigError, DataFormatError } from '../errors.js';
import { writeArrowTable } from './arrow-sink.js';
import { resolveDataset } from './dataset.js';
import { partitionDataset } from './partition.js';
import { fnv1a32, partitionOfId } from './partition-hash.js';
import { readSequences, type ReadSequencesResult } from './read-sequences.js';
import type { SchemaMapping } from './schema-mapping.js';
import { clientIdAt, clientCount } from './sequence-set.js';
import { Rng } from './random.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-partition-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mapping: SchemaMapping = { id: 'client', time: 't', categorical: ['mcc'], numeric: ['amount'], transforms: {} };

/** Two files: string ids, a dictionary categorical with nulls, unsorted times with ties. */
async function writeSource(root: string): Promise<string> {
  const rng = new Rng(3);
  await mkdir(root, { recursive: true });
  for (const part of [0, 1]) {
    const n = 3000;
    const client: string[] = [];
    const t = new Float64Array(n);
    const mcc: (string | null)[] = [];
    const amount = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      client.push(`c${rng.int(0, 150)}`);
      t[i] = rng.int(0, 50); // many ties: stability matters
      mcc.push(rng.next() < 0.05 ? null : `m${rng.int(0, 12)}`);
      amount[i] = i + part * n;
    }
    const table = new Table({
      client: vectorFromArray(client, new Utf8()),
      t: vectorFromArray(t),
      mcc: vectorFromArray(mcc, new Dictionary(new Utf8(), new Int32())),
      amount: vectorFromArray(amount),
    });
    await writeArrowTable(join(root, `day-${part}.arrow`), table);
  }
  return root;
}

/** Per client id: times, category tokens and amounts. */
function byClient(read: ReadSequencesResult): Map<string, string> {
  const out = new Map<string, string>();
  const s = read.sequences;
  for (let c = 0; c < clientCount(s); c++) {
    const [a, b] = [s.offsets[c]!, s.offsets[c + 1]!];
    out.set(String(clientIdAt(s.ids, c)), JSON.stringify([Array.from(s.times.subarray(a, b)), Array.from(s.categorical.mcc!.subarray(a, b)), Array.from(s.numeric.amount!.subarray(a, b))]));
  }
  return out;
}

describe('meles partition', () => {
  it('the hash is FNV-1a of the id text, the same for an int and its decimal string', () => {
    assert.equal(fnv1a32(''), 0x811c9dc5);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(partitionOfId(String(17), 8), partitionOfId('17', 8));
  });

  it('partitions read like the source, client by client (vocabulary indices included), whether sorted in one run or many', async () => {
    const source = await writeSource(join(dir, 'src'));
    const whole = await readSequences(source, mapping);
    for (const [name, maxRunEvents] of [['one', undefined], ['many', 150]] as const) {
      const out = join(dir, `parts-${name}`);
      const summary = await partitionDataset({ data: source, mapping, out, partitions: 3, memoryLimit: 1024 ** 3, ...(maxRunEvents ? { maxRunEvents } : {}) });
      if (maxRunEvents) assert.ok(summary.sortRuns > 3, `several runs per partition (${summary.sortRuns})`);
      assert.equal(summary.manifest.rows, 6000);
      assert.equal(summary.manifest.files.reduce((s, f) => s + f.rows, 0), 6000);
      assert.equal(summary.manifest.files.reduce((s, f) => s + f.clients, 0), summary.manifest.clients);
      const dataset = await resolveDataset(out);
      assert.deepEqual(dataset.files.map((f) => f.path), [0, 1, 2].map((p) => join(out, `part-0000${p}.arrow`)));
      const parts = await readSequences(out, mapping);
      assert.deepEqual(parts.vocabularies.mcc!.tokens, whole.vocabularies.mcc!.tokens);
      assert.deepEqual(byClient(parts), byClient(whole));
      // Every client's events are contiguous in its file and every id sits in the partition its hash names.
      for (const [p, entry] of summary.manifest.files.entries()) {
        const ids = tableFromIPC(await readFile(join(out, entry.file))).getChild('client')!.toArray() as string[];
        const seen = new Set<string>();
        ids.forEach((id, i) => {
          assert.equal(partitionOfId(id, 3), p);
          if (i > 0 && ids[i - 1] !== id) assert.ok(!seen.has(id), `client ${id} is contiguous`);
          seen.add(id);
        });
      }
    }
    // Runs only change where record batches end, never the rows.
    const rowsOf = async (name: string) => {
      const table = tableFromIPC(await readFile(join(dir, name, 'part-00001.arrow')));
      return table.schema.fields.map((f) => Array.from(table.getChild(f.name)!.toArray() as ArrayLike<unknown>));
    };
    assert.deepEqual(await rowsOf('parts-many'), await rowsOf('parts-one'));
  });

  it('a client larger than the memory allows is refused before anything is written; more partitions than clients gives empty files', async () => {
    const source = join(dir, 'small.arrow');
    await writeArrowTable(source, tableFromArrays({ client: Int32Array.from([1, 1, 1, 2]), t: Float64Array.from([3, 1, 2, 1]), mcc: Int32Array.from([5, 6, 7, 8]), amount: Float32Array.from([1, 2, 3, 4]) }));
    const refused = join(dir, 'refused');
    await assert.rejects(
      partitionDataset({ data: source, mapping, out: refused, partitions: 2, maxRunEvents: 2 }),
      (e: Error) => e instanceof ConfigError && /--memory-limit .*client 1 has 3 events/.test(e.message),
    );
    await assert.rejects(resolveDataset(refused), /expected a directory with data files/);
    const out = join(dir, 'sparse');
    const summary = await partitionDataset({ data: source, mapping, out, partitions: 5 });
    assert.equal(summary.manifest.files.filter((f) => f.rows === 0).length, 3);
    const read = await readSequences(out, mapping);
    assert.deepEqual(byClient(read), byClient(await readSequences(source, mapping)));
  });

  it('a partition file missing, changed or with other rows than the manifest says fails naming the file and the manifest', async () => {
    const out = join(dir, 'parts-one');
    const manifestPath = join(out, 'manifest.json');
    const file = join(out, 'part-00002.arrow');
    const bytes = await readFile(file);
    await writeFile(file, Buffer.concat([bytes.subarray(0, 100), Buffer.from([bytes[100]! ^ 1]), bytes.subarray(101)]));
    await assert.rejects(resolveDataset(out), (e: Error) => e instanceof DataFormatError && e.message.includes(file) && e.message.includes(manifestPath) && /sha256/.test(e.message));
    await unlink(file);
    await assert.rejects(resolveDataset(out), (e: Error) => e instanceof DataFormatError && e.message.includes(file) && /missing/.test(e.message));
    await writeFile(file, bytes);
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as { files: { rows: number }[] };
    manifest.files[2]!.rows += 1;
    await writeFile(manifestPath, JSON.stringify(manifest));
    await assert.rejects(resolveDataset(out), (e: Error) => e instanceof DataFormatError && e.message.includes(file) && /expected \d+ rows as .*manifest\.json records/.test(e.message));
  });
});
