#!/usr/bin/env node
// Runs every `*.test.ts` under the source folders with Node's built-in test runner (through tsx).
// Node 20 does not expand globs for --test, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';

const roots = ['data', 'sampling', 'encoders', 'metric', 'training', 'downstream', 'report', 'pipeline', 'cli', 'scripts', 'test'];
const only = process.argv.slice(2);

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

let files = roots.flatMap((root) => walk(root, [])).sort();
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
// A watchdog: a test that hangs (say, a child process stuck on a dead connection) must fail the
// run, not stall CI until its own time limit. The whole process group is killed.
const limitMs = Number(process.env.MELES_TEST_TIMEOUT_MS ?? 14 * 60 * 1000);
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: { ...process.env, MELES_QUIET: '1' },
  detached: true,
});
const watchdog = setTimeout(() => {
  console.error(`run-tests: the suite ran longer than ${Math.round(limitMs / 1000)} s; killing it`);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}, limitMs);
child.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  process.exit(code ?? (signal ? 1 : 0));
});
