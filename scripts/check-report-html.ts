/**
 * Opens a report HTML in headless Chromium and checks that it renders on its own: every inline
 * SVG chart has a size and marks, every image decodes, nothing is fetched from outside the page,
 * and nothing is logged as an error. The page is copied into an empty temp directory first, so a
 * pass also proves the file is self-contained.
 *
 * Usage: `npx tsx scripts/check-report-html.ts runs/demo/report.html [--screenshot out.png]`
 * (exit 0 pass, 1 fail, 2 bad usage). Needs the Debian package `chromium`.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** What the page reported about itself after loading. */
export interface PageFacts {
  readonly svgs: readonly { readonly id: string; readonly width: number; readonly height: number; readonly marks: number }[];
  readonly images: readonly { readonly alt: string; readonly width: number; readonly height: number }[];
  readonly errors: readonly string[];
  readonly resources: readonly string[];
}

/** The outcome of {@link checkReportHtml}. */
export interface ReportCheck {
  /** True when no problem was found. */
  readonly ok: boolean;
  /** One sentence per problem. */
  readonly problems: readonly string[];
  /** The page's own measurements. */
  readonly facts: PageFacts;
  /** Console and page errors Chromium logged on stderr. */
  readonly consoleErrors: readonly string[];
}

/** Options of {@link checkReportHtml}. */
export interface CheckOptions {
  /** Chromium executable. @defaultValue `'chromium'` */
  readonly chromium?: string;
  /** Also write a full-page screenshot here. */
  readonly screenshot?: string;
  /** Give up after this many milliseconds. @defaultValue `60000` */
  readonly timeoutMs?: number;
}

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
  '--no-first-run', '--disable-component-update', '--disable-sync', '--disable-extensions',
  '--enable-logging=stderr', '--v=0', '--virtual-time-budget=10000',
];

/**
 * Probe run inside the page: wraps console.error, records failed loads and uncaught errors, and on
 * `load` writes its measurements into `<pre id="meles-check">`, which `--dump-dom` then prints.
 */
const PROBE = `<script>(() => {
  const errors = [];
  const origError = console.error;
  console.error = (...a) => { errors.push(a.map(String).join(' ')); origError(...a); };
  addEventListener('error', (e) => errors.push(e.message || ('failed to load ' + (e.target && (e.target.src || e.target.href)))), true);
  addEventListener('load', () => {
    const svgs = [...document.querySelectorAll('figure.chart > svg')].map((s) => {
      const r = s.getBoundingClientRect();
      return { id: s.parentElement.id, width: r.width, height: r.height, marks: s.querySelectorAll('[role="graphics-symbol"], .role-mark path, .role-mark line').length };
    });
    const images = [...document.images].map((i) => ({ alt: i.alt, width: i.naturalWidth, height: i.naturalHeight }));
    const resources = performance.getEntriesByType('resource').map((r) => r.name).filter((n) => !n.startsWith('data:'));
    const pre = document.createElement('pre');
    pre.id = 'meles-check';
    pre.textContent = JSON.stringify({ svgs, images, errors, resources });
    document.body.appendChild(pre);
  });
})();</script>`;

/** Loads `htmlPath` in headless Chromium and checks what rendered. */
export async function checkReportHtml(htmlPath: string, options: CheckOptions = {}): Promise<ReportCheck> {
  const chromium = options.chromium ?? 'chromium';
  const work = await mkdtemp(join(tmpdir(), 'meles-check-'));
  try {
    const html = await readFile(htmlPath, 'utf8');
    const probed = join(work, 'report.html');
    await writeFile(probed, html.replace(/<head>/i, `<head>${PROBE}`), 'utf8');
    const url = pathToFileURL(probed).href;
    const profile = (name: string): string => `--user-data-dir=${join(work, name)}`;
    const dump = await runChromium(chromium, [...FLAGS, profile('p1'), '--dump-dom', url], options.timeoutMs ?? 60000);
    if (options.screenshot) {
      const shot = join(work, 'shot.png');
      await runChromium(chromium, [...FLAGS, profile('p2'), '--hide-scrollbars', '--window-size=1280,5000', `--screenshot=${shot}`, url], options.timeoutMs ?? 60000);
      await copyFile(shot, resolve(options.screenshot));
    }
    const match = /<pre id="meles-check">([\s\S]*?)<\/pre>/.exec(dump.stdout);
    if (!match) throw new Error(`Chromium did not run the page probe; stderr:\n${dump.stderr.slice(-2000)}`);
    const facts = JSON.parse(unescapeHtml(match[1]!)) as PageFacts;
    const consoleErrors = dump.stderr.split('\n').filter((l) => /CONSOLE|Uncaught|ERR_FILE_NOT_FOUND|net::ERR/.test(l) && !/CONSOLE\(\d+\)\] "(?:\[?INFO|LOG)/.test(l));
    return judge(facts, consoleErrors);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Turns the page facts into problems; exported for tests. */
export function judge(facts: PageFacts, consoleErrors: readonly string[]): ReportCheck {
  const problems: string[] = [];
  if (facts.svgs.length === 0) problems.push('no inline SVG chart found (figure.chart > svg)');
  for (const s of facts.svgs) {
    if (!(s.width > 0 && s.height > 0)) problems.push(`chart ${s.id} has no size (${s.width}×${s.height})`);
    if (s.marks === 0) problems.push(`chart ${s.id} has no marks`);
  }
  for (const i of facts.images) {
    if (!(i.width > 0 && i.height > 0)) problems.push(`image "${i.alt}" did not decode`);
  }
  for (const r of facts.resources) problems.push(`page fetched an external resource: ${r}`);
  for (const e of facts.errors) problems.push(`page error: ${e}`);
  for (const e of consoleErrors) problems.push(`chromium logged: ${e.trim()}`);
  return { ok: problems.length === 0, problems, facts, consoleErrors };
}

function runChromium(bin: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Cannot start ${bin} (apt-get install -y chromium): ${error.message}`, { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) reject(new Error(`${bin} was killed (${signal}) after ${timeoutMs} ms`));
      else if (code !== 0) reject(new Error(`${bin} exited with ${code}:\n${stderr.slice(-2000)}`));
      else resolvePromise({ stdout, stderr });
    });
  });
}

function unescapeHtml(text: string): string {
  return text.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

async function main(argv: readonly string[]): Promise<number> {
  const [html, ...rest] = argv;
  if (!html || html.startsWith('--')) {
    process.stderr.write('usage: tsx scripts/check-report-html.ts REPORT.html [--screenshot OUT.png]\n');
    return 2;
  }
  const shotAt = rest.indexOf('--screenshot');
  const result = await checkReportHtml(html, shotAt >= 0 && rest[shotAt + 1] ? { screenshot: rest[shotAt + 1]! } : {});
  const { svgs, images } = result.facts;
  process.stdout.write(`${svgs.length} SVG charts (${svgs.map((s) => `${s.id}: ${Math.round(s.width)}×${Math.round(s.height)}, ${s.marks} marks`).join('; ')})\n`);
  process.stdout.write(`${images.length} images, ${images.filter((i) => i.width > 0).length} decoded\n`);
  for (const p of result.problems) process.stdout.write(`PROBLEM: ${p}\n`);
  process.stdout.write(result.ok ? 'report renders: OK\n' : 'report check FAILED\n');
  return result.ok ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
