import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateTransactions, type GenerateSummary } from '../../data/synthetic/generate-transactions.js';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { meles } from '../../data/testing/run-meles.js';

let dir: string;
let g: GenerateSummary;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'meles-cli-evaluate-model-'));
  g = await generateTransactions({ out: join(dir, 'data'), clients: 40, minEvents: 5, maxEvents: 10 });
  await writeFile(join(dir, 'strangers.csv'), ['client_id,gender', ...Array.from({ length: 20 }, (_, i) => `${800000 + i},${i % 2}`)].join('\n'));
  await writeArrowTable(join(dir, 'f.arrow'), tableFromColumns({ client_id: Int32Array.from({ length: 40 }, (_, i) => i), x: new Float32Array(40) }));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Asserts exit code 2, a message matching `message`, and no output directory. */
async function refused(out: string, message: RegExp, ...args: string[]): Promise<void> {
  const r = await meles(...args, '--out', out);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, message);
  await assert.rejects(access(out), { code: 'ENOENT' }, `${out} must not be created`);
}

describe('meles evaluate-model / compare / evaluate: bad input exits 2 and writes nothing', () => {
  it('evaluate-model refuses a labelled fraction out of (0, 1], both or neither model flag, a missing schema, and labels of no client', async () => {
    const base = ['evaluate-model', '--data', g.transactionsPath, '--targets', g.targetsPath, '--target', 'gender:binary', '--epochs', '1'];
    const out = join(dir, 'out');
    for (const x of ['0', '1.5', 'half']) await refused(out, /`--label-fraction` to be a number in \(0, 1\]/, ...base, '--schema', g.schemaPath, '--supervised', '--label-fraction', x);
    await refused(out, /exactly one of `--supervised`/, ...base, '--schema', g.schemaPath, '--supervised', '--finetune', join(dir, 'run'));
    await refused(out, /exactly one of `--supervised`/, ...base, '--schema', g.schemaPath);
    await refused(out, /`--supervised` needs the schema mapping/, ...base, '--supervised');
    await refused(out, /`--head-lr` sets how a pretrained model is fine-tuned; it needs `--finetune RUN`/, ...base, '--schema', g.schemaPath, '--supervised', '--head-lr', '0.01');
    await refused(out, /`--no-standardize-embedding` sets how a pretrained model is fine-tuned/, ...base, '--schema', g.schemaPath, '--supervised', '--no-standardize-embedding');
    await refused(out, /`encoderLearningRate` to be a finite number/, ...base, '--finetune', join(dir, 'run'), '--encoder-lr', '0');
    await refused(out, /drop `--schema`/, ...base, '--schema', g.schemaPath, '--finetune', join(dir, 'run'));
    await refused(out, /none of the 20 labelled ids of `gender` is a client/,
      'evaluate-model', '--data', g.transactionsPath, '--schema', g.schemaPath, '--targets', join(dir, 'strangers.csv'), '--target', 'gender:binary', '--supervised', '--epochs', '1');
  });

  it('compare and evaluate refuse a bad --label-fraction; compare refuses an --include without evaluation.json', async () => {
    const base = ['--targets', g.targetsPath, '--id', 'client_id', '--target', 'gender:binary', '--num-iterations', '2'];
    await refused(join(dir, 'c1'), /`--label-fraction` to be a number in \(0, 1\]/, 'compare', ...base, '--set', `f=${join(dir, 'f.arrow')}`, '--label-fraction', '0');
    await refused(join(dir, 'c2'), /`--label-fraction` to be a number in \(0, 1\]/, 'evaluate', ...base, '--features', join(dir, 'f.arrow'), '--label-fraction', '1.5');
    await refused(join(dir, 'c3'), /nowhere[/\\]evaluation\.json: cannot read/, 'compare', ...base, '--set', `f=${join(dir, 'f.arrow')}`, '--include', join(dir, 'nowhere'));
  });
});
