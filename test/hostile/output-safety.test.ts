import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeStaleTempFiles, tempPathFor, writeAtomically } from '../../data/atomic-write.js';
import { generateTransactions } from '../../data/synthetic/generate-transactions.js';
import { hashes, meles } from './hostile-helpers.js';

let root: string;
let data: string;
let schema: string;
let targets: string;

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

/** The pid of a process that has certainly exited. */
function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '']);
    child.on('error', reject);
    child.on('close', () => resolve(child.pid!));
  });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'meles-hostile-out-'));
  const summary = await generateTransactions({ out: join(root, 'data'), clients: 30, minEvents: 5, maxEvents: 20, seed: 5 });
  data = summary.transactionsPath;
  schema = summary.schemaPath;
  targets = summary.targetsPath;
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('outputs never alias inputs', () => {
  it('import-csv --out onto its own input CSV exits 2 naming both, before reading; the CSV is unchanged', async () => {
    const csv = join(root, 'tx.csv');
    await writeFile(csv, 'id,t,c\n1,1,a\n');
    const before = await hashes(csv);
    const run = await meles(['import-csv', csv, '--out', csv, '--id', 'id', '--time', 't', '--cat', 'c']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /`--out` \S*tx\.csv is also an input \(`<csv>` \S*tx\.csv\)/);
    assert.deepEqual(await hashes(csv), before);
  });

  it('features --out reaching the data file through `..` and a symbolic link is refused too', async () => {
    const link = join(root, 'link');
    await import('node:fs/promises').then((fs) => fs.symlink(join(root, 'data'), link));
    const out = join(link, '..', 'link', 'transactions.arrow');
    const before = await hashes(data, schema);
    const run = await meles(['features', '--data', data, '--schema', schema, '--out', out]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /`--out` .*transactions\.arrow is also an input \(`--data` .*transactions\.arrow\)/);
    assert.deepEqual(await hashes(data, schema), before);
  });

  it('evaluate --out into a folder whose report.json is a feature file is refused', async () => {
    const dir = join(root, 'eval');
    await mkdir(dir);
    const features = join(dir, 'report.json');
    await writeFile(features, 'not really');
    const run = await meles(['evaluate', '--targets', targets, '--id', 'client_id', '--target', 'gender:binary', '--features', features, '--out', dir]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /`--out` \S*eval\/report\.json is also an input \(`--features` \S*eval\/report\.json\)/);
  });

  it('compare --out whose report.html is a --set file is refused, naming the set', async () => {
    const dir = join(root, 'cmp');
    await mkdir(dir);
    const features = join(dir, 'report.html');
    await writeFile(features, 'not really');
    const before = await hashes(features);
    const run = await meles(['compare', '--targets', targets, '--id', 'client_id', '--target', 'gender:binary', '--set', `a=${features}`, '--out', dir]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /`--out` \S*cmp\/report\.html is also an input \(`--set a` \S*cmp\/report\.html\)/);
    assert.deepEqual(await hashes(features), before);
  });
});

describe('meles train --out', () => {
  it('the data folder is refused (not a meles run), and even with --force its schema.json (the --schema input) is not overwritten', async () => {
    const folder = join(root, 'data');
    const before = await hashes(data, schema, targets);
    const plain = await meles(['train', '--data', data, '--schema', schema, '--out', folder, '--epochs', '1', '--quiet']);
    assert.equal(plain.code, 2, plain.stderr);
    assert.match(plain.stderr, /`--out` \S*data is a non-empty folder that is not a meles run \(found schema\.json, targets\.arrow, transactions\.arrow\); .*--force/);
    const forced = await meles(['train', '--data', data, '--schema', schema, '--out', folder, '--epochs', '1', '--quiet', '--force']);
    assert.equal(forced.code, 2, forced.stderr);
    assert.match(forced.stderr, /`--out` \S*data\/schema\.json is also an input \(`--schema` \S*data\/schema\.json\)/);
    assert.deepEqual(await hashes(data, schema, targets), before);
    assert.deepEqual((await readdir(folder)).sort(), ['schema.json', 'targets.arrow', 'transactions.arrow']);
  });

  it('an existing run needs --resume or --force (was: replaced silently)', async () => {
    const run = join(root, 'run');
    await mkdir(run);
    await writeFile(join(run, 'model.json'), '{}');
    const before = await hashes(join(run, 'model.json'));
    const result = await meles(['train', '--data', data, '--schema', schema, '--out', run, '--epochs', '1', '--quiet']);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /`--out` \S*run already holds a training run \(model\.json\); pass --resume to continue it or --force to replace it/);
    assert.deepEqual(await hashes(join(run, 'model.json')), before);
  });
});

describe('output folders are checked before the work', () => {
  it('a missing folder of --out names the flag and the folder (was: ENOENT on a temp name after the work)', async () => {
    const out = join(root, 'missing', 'features.arrow');
    const run = await meles(['features', '--data', data, '--schema', schema, '--out', out]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /`--out` \S*missing\/features\.arrow: the folder \S*missing does not exist; create it first/);
    assert.doesNotMatch(run.stderr, /tmp-/);
  });

  it('an --out folder below a file, and /proc (where mkdir -p never returns), fail at once', async () => {
    const below = await meles(['generate', '--out', join(data, 'sub'), '--clients', '5']);
    assert.equal(below.code, 2, below.stderr);
    assert.match(below.stderr, /`--out` \S*transactions\.arrow\/sub: \S*transactions\.arrow is a file, so the folder cannot be created/);
    const proc = await meles(['generate', '--out', '/proc/meles-x/y', '--clients', '5'], 60_000);
    assert.equal(proc.timedOut, false, 'generate hung on /proc');
    assert.equal(proc.code, 2, proc.stderr);
    assert.match(proc.stderr, /`--out` \/proc\/meles-x\/y: the folder \/proc is not writable/);
  });

  it('an unwritable folder names the flag, the folder and EACCES (run as an unprivileged user)', { skip: process.getuid?.() !== 0 && 'needs root to switch user' }, async () => {
    const locked = join(root, 'locked');
    await mkdir(locked);
    await chmod(locked, 0o555);
    await chmod(root, 0o755);
    const main = fileURLToPath(new URL('../../cli/main.ts', import.meta.url));
    const run = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', main, 'generate', '--out', join(locked, 'gen'), '--clients', '5'], {
        uid: 65534,
        gid: 65534,
        env: { ...process.env, TSX_TSCONFIG_PATH: '', HOME: '/tmp' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /`--out` \S*locked\/gen: the folder \S*locked is not writable \(EACCES\)/);
    assert.equal(await exists(join(locked, 'gen')), false);
  });

  it('ENOSPC during a write names the final path, not the temp file', async () => {
    const path = join(root, 'full.arrow');
    await assert.rejects(
      writeAtomically(path, () => writeFile('/dev/full', 'x')),
      (e: unknown) => e instanceof Error && /^cannot write \S*full\.arrow: no space left on the device \(ENOSPC\)/.test(e.message),
    );
    assert.equal(await exists(path), false);
  });
});

describe('stale temp files', () => {
  it('temp files of dead writers beside an output are removed on the next write there; live ones and other hosts\' stay', async () => {
    const dir = join(root, 'stale');
    await mkdir(dir);
    const out = join(dir, 'features.arrow');
    const dead = await deadPid();
    const mine = tempPathFor(out);
    const stale = mine.replace(`.tmp-${process.pid}-`, `.tmp-${dead}-`);
    const otherHost = stale.replace(/-([0-9a-f]{8})-([0-9a-f]{8})$/, '-00000000-$2');
    for (const path of [mine, stale, otherHost]) await writeFile(path, '');
    const run = await meles(['features', '--data', data, '--schema', schema, '--out', out]);
    assert.equal(run.code, 0, run.stderr);
    const left = await readdir(dir);
    assert.equal(left.includes('features.arrow'), true);
    assert.equal(await exists(stale), false, 'the dead writer\'s temp file is removed');
    assert.equal(await exists(mine), true, 'a live writer\'s temp file stays');
    assert.equal(await exists(otherHost), true, 'a temp file of another host stays');
    assert.deepEqual(await removeStaleTempFiles(dir), [], 'one sweep per folder and process');
  });
});
