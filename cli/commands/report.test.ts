import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { meles } from '../../data/testing/run-meles.js';
import { writeTestTrainingRun, type TestTrainingRun } from '../../report/run/test-run-dir.js';

const checker = fileURLToPath(new URL('../../scripts/check-report-html.ts', import.meta.url));
const hasChromium = spawnSync('chromium', ['--version'], { stdio: 'ignore' }).status === 0;

/** Runs a TypeScript script other than the CLI (the report checker) with tsx. */
function run(script: string, ...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env: { ...process.env, MELES_QUIET: '1' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('meles report on a plain training run', () => {
  let dir: string;
  let fixture: TestTrainingRun;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meles-report-cli-'));
    fixture = await writeTestTrainingRun(dir, 60);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('writes a report that renders in headless Chromium', { skip: hasChromium ? false : 'chromium is not installed' }, async () => {
    const out = join(dir, 'report', 'report.html');
    const r = await meles('report', fixture.run, '--embeddings', fixture.embeddings.join(','), '--targets', fixture.targets,
      '--target', 'age_group', '--out', out, '--sample', '40', '--tsne-steps', '30', '--json');
    assert.equal(r.code, 0, r.stderr);
    const written = JSON.parse(r.stdout) as { html: string; pngs: string[]; projections: { method: string }[] };
    assert.equal(written.html, out);
    assert.equal(written.pngs.length, 1 + 2 * 4);
    assert.equal(written.projections.length, 8);
    const check = await run(checker, out);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /1 SVG charts \(training-chart/);
    assert.match(check.stdout, /8 images, 8 decoded/);
  });

  // One case per kind of check (the training-run checks themselves are tested in report/run/training-run.test.ts):
  // each spawn starts tsx and the whole CLI, which is slow on a busy machine.
  it('exits with 2 on bad or incomplete flags, naming them', async () => {
    const cases: [string[], RegExp][] = [
      [['--embeddings', fixture.embeddings[0]], /Expected `--targets FILE` with `--embeddings`/],
      [['--target', 'gender'], /`--target` applies to a training run/],
      [['--embeddings', join(dir, 'nope.arrow'), '--targets', fixture.targets], /`--embeddings` to name an existing Arrow file/],
      [['--embeddings', fixture.embeddings[0], '--targets', fixture.targets, '--sample', 'many'], /`--sample` to be an integer/],
    ];
    const results = await Promise.all(cases.map(([flags]) => meles('report', fixture.run, ...flags)));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `${cases[i]![0].join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, cases[i]![1]);
    });
  });
});
