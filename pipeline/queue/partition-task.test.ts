import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC, type Table } from 'apache-arrow';
import { MODEL_SHA256_METADATA_KEY, SCORING_MODEL_SHA256_METADATA_KEY } from '../../data/embedding-sink.js';
import { readFeatureTable, readRecordedModel } from '../../data/feature-table.js';
import { readColumnTable } from '../../data/keyed-table.js';
import { partitionDataset } from '../../data/partition.js';
import { OUTPUT_MANIFEST, type PartitionedOutputManifest } from '../../data/partitioned-output.js';
import { generateTransactions, SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { Vocabulary } from '../../data/vocabulary.js';
import { writeAggregateFeatures } from '../../downstream/features/aggregate-features-io.js';
import { fitModel } from '../../downstream/scoring/fit-model.js';
import { scoreModel } from '../../downstream/scoring/score-model.js';
import { initBackend } from '../../encoders/backend.js';
import { buildEncoderConfig, resolveEncoderOptions } from '../../encoders/encoder-config.js';
import { SequenceModel } from '../../encoders/sequence-model.js';
import { DataFormatError } from '../../errors.js';
import { embedFile } from '../../training/embed-file.js';
import { saveModelDirectory } from '../../training/model-files.js';
import { finishPartitionRun, planPartitionRun, runPartition, runPartitionsLocally, type PartitionRun, type PartitionTask } from './partition-task.js';

const CLIENTS = 160;
let root: string;
let data: string;
let parts: string;
let model: string;
let targets: string;

const embedTask = (): PartitionTask => ({ kind: 'embed', model, maxEvents: 2000, batchSize: 256, maxBatchEvents: 65536, l2: false });
const featuresTask: PartitionTask = { kind: 'features', schema: SYNTHETIC_SCHEMA, maxValues: 250 };

/** Rows of a keyed Arrow table by id: each row's bytes (every non-id column, as stored). */
function rowBytes(table: Table, id = 'client_id'): Map<string, string> {
  const ids = table.getChild(id)!.toArray() as ArrayLike<number>;
  const columns = table.schema.fields.filter((f) => f.name !== id).map((f) => table.getChild(f.name)!.toArray() as Float32Array);
  const out = new Map<string, string>();
  for (let r = 0; r < table.numRows; r++) out.set(String(ids[r]), Buffer.from(Float32Array.from(columns, (c) => c[r]!).buffer).toString('hex'));
  return out;
}

async function partsOf(dir: string): Promise<Table[]> {
  const files = (await readdir(dir)).filter((f) => /^part-\d{5}\.arrow$/.test(f)).sort();
  return Promise.all(files.map(async (f) => tableFromIPC(await readFile(join(dir, f)))));
}

function mergedRows(tables: readonly Table[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const table of tables) {
    for (const [id, bytes] of rowBytes(table)) {
      assert.ok(!out.has(id), `client ${id} in two parts`);
      out.set(id, bytes);
    }
  }
  return out;
}

const readManifest = async (dir: string): Promise<PartitionedOutputManifest> => JSON.parse(await readFile(join(dir, OUTPUT_MANIFEST), 'utf8')) as PartitionedOutputManifest;

describe('per-partition embed and features', () => {
  before(async () => {
    await initBackend('wasm', { quiet: true });
    root = await mkdtemp(join(tmpdir(), 'meles-partition-task-'));
    const generated = await generateTransactions({ out: join(root, 'gen'), clients: CLIENTS, minEvents: 5, maxEvents: 60, seed: 11 });
    data = generated.transactionsPath;
    targets = generated.targetsPath;
    parts = join(root, 'parts');
    await partitionDataset({ data, mapping: SYNTHETIC_SCHEMA, out: parts, partitions: 4 });
    const vocab = Vocabulary.fromJSON({ tokens: ['0', '1', '2', '3', '4'], counts: [5, 4, 3, 2, 1] }, 'test');
    const config = buildEncoderConfig(resolveEncoderOptions({ hidden: 6, categoricalDim: 2 }), {
      categorical: SYNTHETIC_SCHEMA.categorical.map((name) => ({ name, vocabularySize: vocab.size })),
      numeric: SYNTHETIC_SCHEMA.numeric,
    });
    const sequenceModel = new SequenceModel(config, 5);
    model = join(root, 'model');
    await saveModelDirectory(model, { model: sequenceModel, vocabularies: Object.fromEntries(SYNTHETIC_SCHEMA.categorical.map((c) => [c, vocab])), schema: SYNTHETIC_SCHEMA, training: {}, backend: 'wasm' });
    sequenceModel.dispose();
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('embeddings are byte-identical per client and features equal, one file vs 4 partitions; the output reads like one file', async () => {
    await embedFile({ model, data, out: join(root, 'whole-emb.arrow'), backend: 'wasm' });
    await writeAggregateFeatures(data, SYNTHETIC_SCHEMA, join(root, 'whole-features.arrow'));
    const wholeEmb = tableFromIPC(await readFile(join(root, 'whole-emb.arrow')));
    const wholeFeatures = tableFromIPC(await readFile(join(root, 'whole-features.arrow')));

    const embOut = join(root, 'emb');
    const manifest = await runPartitionsLocally(await planPartitionRun('emb-run', embedTask(), [parts], embOut));
    const embParts = await partsOf(embOut);
    assert.equal(embParts.length, 4);
    assert.deepEqual(mergedRows(embParts), rowBytes(wholeEmb));
    assert.equal(manifest.rows, CLIENTS);
    assert.deepEqual(manifest.idColumn, { name: 'client_id', type: 'Int32', kind: 'number' });
    assert.equal(manifest.model?.sha256, wholeEmb.schema.metadata.get(MODEL_SHA256_METADATA_KEY));
    assert.deepEqual(manifest.parts.map((p) => p.rows), embParts.map((t) => t.numRows));

    const featuresOut = join(root, 'features');
    await runPartitionsLocally(await planPartitionRun('features-run', featuresTask, [parts], featuresOut));
    const featureParts = await partsOf(featuresOut);
    assert.deepEqual(featureParts[0]!.schema.fields.map((f) => `${f.name}:${String(f.type)}`), wholeFeatures.schema.fields.map((f) => `${f.name}:${String(f.type)}`));
    assert.deepEqual(mergedRows(featureParts), rowBytes(wholeFeatures));

    // Readers of keyed tables take the directory, or its manifest, like the one file.
    assert.deepEqual(await readRecordedModel(embOut), await readRecordedModel(join(root, 'whole-emb.arrow')));
    const joined = await readFeatureTable([join(embOut, OUTPUT_MANIFEST), featuresOut], 'client_id');
    const joinedWhole = await readFeatureTable([join(root, 'whole-emb.arrow'), join(root, 'whole-features.arrow')], 'client_id');
    assert.deepEqual(joined.names, joinedWhole.names);
    assert.equal(joined.keys.length, CLIENTS);
    const rowOf = (t: typeof joined): Map<string, number[]> => new Map(t.keys.map((k, r) => [k, Array.from(t.X.subarray(r * t.cols, (r + 1) * t.cols))]));
    assert.deepEqual(rowOf(joined), rowOf(joinedWhole));
    for (const path of [embOut, join(embOut, OUTPUT_MANIFEST)]) {
      const table = await readColumnTable(path, 'client_id');
      assert.deepEqual([...table.keys].sort(), [...(await readColumnTable(join(root, 'whole-emb.arrow'), 'client_id')).keys].sort());
      assert.deepEqual(table.names, wholeEmb.schema.fields.slice(1).map((f) => f.name));
    }
  });

  it('predictions per partition record the scoring model: the manifest names the fit\'s model.txt sha256, as the one-file output does', async () => {
    const featuresOut = join(root, 'score-features');
    await runPartitionsLocally(await planPartitionRun('score-features-run', featuresTask, [parts], featuresOut));
    const fitDir = join(root, 'fit');
    const { fit } = await fitModel({ features: [featuresOut], targets, idColumn: 'client_id', target: { column: 'gender', kind: 'binary' }, out: fitDir, trees: 5 });
    const predictions = join(root, 'predictions');
    const manifest = await runPartitionsLocally(await planPartitionRun('score-run', { kind: 'score', model: fitDir }, [featuresOut], predictions));
    assert.equal(manifest.kind, 'predictions');
    assert.equal(manifest.rows, CLIENTS);
    assert.deepEqual(manifest.model, { sha256: fit.modelSha256, version: null });
    const one = join(root, 'one-predictions.arrow');
    await scoreModel({ model: fitDir, features: [featuresOut], out: one });
    assert.equal(tableFromIPC(await readFile(one)).schema.metadata.get(SCORING_MODEL_SHA256_METADATA_KEY), fit.modelSha256);
    // Not the embedding-model key: predictions joined beside embeddings are not "mixed models".
    assert.equal(await readRecordedModel(one), undefined);
  });

  it('a partition computed again (a retried job) rewrites the same bytes: no duplicate or lost rows', async () => {
    const out = join(root, 'retried');
    const run = await planPartitionRun('retry-run', embedTask(), [parts], out);
    await runPartitionsLocally(run);
    const before = await readManifest(out);
    await runPartition(run, 2);
    await runPartition(run, 2);
    const after = await finishPartitionRun(run);
    assert.deepEqual(after, before);
    assert.equal((await readColumnTable(out, 'client_id')).keys.length, CLIENTS);
    // Another run's manifest is never replaced.
    const other: PartitionRun = { ...run, runId: 'other-run' };
    await assert.rejects(finishPartitionRun(other), (e: unknown) => e instanceof DataFormatError && e.message.includes('already holds the output of run retry-run'));
  });

  it('a missing or corrupt partition, or a manifest that does not match: a DataFormatError naming the file; parts already written stay', async () => {
    const editManifest = async (dir: string): Promise<void> => {
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { files: { rows: number }[] };
      manifest.files[2]!.rows += 1;
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    };
    // `planned`: spoiled after the run was planned (submitted), else before.
    const cases: { name: string; planned: boolean; spoil: (dir: string) => Promise<void>; message: RegExp; kept: string[] }[] = [
      { name: 'missing', planned: true, spoil: (dir) => unlink(join(dir, 'part-00002.arrow')), message: /part-00002\.arrow: partition file listed in .*manifest\.json is missing/, kept: ['part-00000.arrow', 'part-00001.arrow'] },
      {
        name: 'corrupt',
        planned: true,
        spoil: async (dir) => {
          const bytes = await readFile(join(dir, 'part-00002.arrow'));
          bytes[bytes.length >> 1] ^= 0xff;
          await writeFile(join(dir, 'part-00002.arrow'), bytes);
        },
        message: /part-00002\.arrow: expected sha256 [0-9a-f]{64} as .*manifest\.json records, found/,
        kept: ['part-00000.arrow', 'part-00001.arrow'],
      },
      { name: 'manifest-rows', planned: false, spoil: editManifest, message: /part-00002\.arrow: expected \d+ rows as .*manifest\.json records, found \d+/, kept: ['part-00000.arrow', 'part-00001.arrow'] },
      // The manifest rewritten after submission: every job refuses it, naming it.
      { name: 'manifest-replaced', planned: true, spoil: editManifest, message: /manifest\.json: expected the partition manifest with sha256 .* the partitions were rewritten/, kept: [] },
    ];
    for (const c of cases) {
      const dir = join(root, `bad-${c.name}`);
      await cp(parts, dir, { recursive: true });
      if (!c.planned) await c.spoil(dir);
      const run = await planPartitionRun(`bad-${c.name}`, embedTask(), [dir], join(root, `bad-${c.name}-out`));
      if (c.planned) await c.spoil(dir);
      await assert.rejects(runPartitionsLocally(run), (e: unknown) => e instanceof DataFormatError && c.message.test(e.message), c.name);
      if (c.kept.length > 0) assert.deepEqual((await readdir(run.out)).sort(), c.kept, `${c.name}: earlier parts kept, no manifest, no temp file`);
      // Every partition failed: the output directory the run created is gone, not left empty.
      else await assert.rejects(readdir(run.out), { code: 'ENOENT' }, `${c.name}: no empty output directory left behind`);
    }
    // A directory that existed before the run stays, even empty; one the run created (with parents) goes.
    // (Planned against another manifest: every partition refuses the dataset.)
    const stale = async (runId: string, out: string): Promise<PartitionRun> => ({ ...(await planPartitionRun(runId, embedTask(), [parts], out)), sourceManifestSha256: '0'.repeat(64) });
    const existing = join(root, 'existing-empty-out');
    await mkdir(existing);
    await assert.rejects(runPartitionsLocally(await stale('bad-existing', existing)), DataFormatError);
    assert.deepEqual(await readdir(existing), []);
    await assert.rejects(runPartition(await stale('bad-nested', join(root, 'new-parent', 'out')), 1), DataFormatError);
    await assert.rejects(readdir(join(root, 'new-parent')), { code: 'ENOENT' });
    // Inputs fine, the write fails (a mapped column the data lacks): the directories made for it go again.
    const noColumn: PartitionTask = { kind: 'features', schema: { ...SYNTHETIC_SCHEMA, numeric: ['no_such_column'] }, maxValues: 250 };
    await assert.rejects(runPartition(await planPartitionRun('bad-column', noColumn, [parts], join(root, 'write-parent', 'out')), 0), /no_such_column/);
    await assert.rejects(readdir(join(root, 'write-parent')), { code: 'ENOENT' });
  });

  it('reading a partitioned output checks its parts: a changed, missing or miscounted part is an error naming it', async () => {
    const good = join(root, 'emb');
    const spoilers: { name: string; spoil: (dir: string) => Promise<void>; message: RegExp }[] = [
      { name: 'changed', spoil: (dir) => writeFile(join(dir, 'part-00001.arrow'), 'not arrow'), message: /part-00001\.arrow: expected sha256 .* as .*manifest\.json records/ },
      { name: 'missing', spoil: (dir) => unlink(join(dir, 'part-00003.arrow')), message: /part-00003\.arrow: part of partition 3 listed in .*manifest\.json is missing/ },
      {
        name: 'rows',
        spoil: async (dir) => {
          const manifest = await readManifest(dir);
          const part = manifest.parts[0]!;
          await writeFile(join(dir, OUTPUT_MANIFEST), JSON.stringify({ ...manifest, rows: manifest.rows + 1, parts: [{ ...part, rows: part.rows + 1 }, ...manifest.parts.slice(1)] }));
        },
        message: /part-00000\.arrow: expected \d+ rows as .*manifest\.json records, found \d+/,
      },
    ];
    for (const s of spoilers) {
      const dir = join(root, `read-${s.name}`);
      await cp(good, dir, { recursive: true });
      await s.spoil(dir);
      await assert.rejects(readColumnTable(dir, 'client_id'), (e: unknown) => e instanceof DataFormatError && s.message.test(e.message), s.name);
    }
  });
});
