import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkReportHtml, judge } from './check-report-html.js';
import { buildReport } from '../report/run/build-report.js';
import { writeTestRunDir } from '../report/run/test-run-dir.js';

const hasChromium = spawnSync('chromium', ['--version'], { stdio: 'ignore' }).status === 0;

describe('judge', () => {
  it('passes a page whose charts have size and marks and whose images decode', () => {
    const r = judge({ svgs: [{ id: 'a', width: 100, height: 50, marks: 3 }], images: [{ alt: 'x', width: 10, height: 10 }], errors: [], resources: [] }, []);
    assert.equal(r.ok, true);
  });

  it('names every problem it finds', () => {
    const r = judge(
      { svgs: [{ id: 'a', width: 0, height: 50, marks: 0 }], images: [{ alt: 'pic', width: 0, height: 0 }], errors: ['boom'], resources: ['http://x/y.js'] },
      ['[ERROR:CONSOLE(1)] "Uncaught"'],
    );
    assert.equal(r.ok, false);
    assert.deepEqual(r.problems.map((p) => p.split(/[:(]/)[0]), ['chart a has no size ', 'chart a has no marks', 'image "pic" did not decode', 'page fetched an external resource', 'page error', 'chromium logged']);
  });
});

describe('checkReportHtml in headless Chromium', { skip: hasChromium ? false : 'chromium is not installed (apt-get install -y chromium)' }, () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meles-check-test-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('passes a real report built from a run directory', async () => {
    await writeTestRunDir(dir, 40);
    const built = await buildReport(dir, { sample: 30, tsneSteps: 30 });
    const result = await checkReportHtml(built.html);
    assert.deepEqual(result.problems, []);
    assert.equal(result.facts.svgs.length, 2);
    assert.ok(result.facts.svgs.every((s) => s.marks > 0));
    assert.equal(result.facts.images.length, 16); // 2 embeddings × 4 projections × 2 labels
  });

  it('fails a page with a broken image, an external fetch and a console error', async () => {
    const bad = join(dir, 'bad.html');
    await writeFile(bad, `<!doctype html><html><head><title>x</title></head><body>
      <figure class="chart" id="empty"><svg width="0" height="0"></svg></figure>
      <img alt="broken" src="data:image/png;base64,AAAA">
      <img alt="remote" src="http://127.0.0.1:9/x.png">
      <script>console.error('boom from page')</script></body></html>`);
    const result = await checkReportHtml(bad);
    assert.equal(result.ok, false);
    const text = result.problems.join('\n');
    assert.match(text, /chart empty has no size/);
    assert.match(text, /image "broken" did not decode/);
    assert.match(text, /external resource: http:\/\/127\.0\.0\.1:9\/x\.png/);
    assert.match(text, /boom from page/);
  });
});
