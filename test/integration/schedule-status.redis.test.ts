import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Queue, Worker, type Job } from 'bullmq';
import { SCHEDULE_QUEUE } from '../../pipeline/queue/queues.js';
import { collectScheduleStatus, formatScheduleStatus } from '../../pipeline/queue/schedule-status.js';
import { addSchedule } from '../../pipeline/queue/schedules.js';
import { REPO, obliterateAll, redis, uniquePrefix, waitFor } from './helpers.js';

/** Runs `meles …` in a child process and returns its exit code and output. */
function meles(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/meles.mjs'), ...args], { cwd: REPO, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => done({ code: code ?? -1, out, err }));
  });
}

/** A run's return value as batch-embed-job.ts makes it (the fields status reads). */
function result(day: string, meanCosine: number | null): Record<string, unknown> {
  return {
    schedule: 'nightly', modelVersion: 'v2', dir: `/runs/nightly/${day}T02-00-00Z`, clients: 1234, asOf: `${day}T02:00:00.000Z`,
    scheduledFor: `${day}T02:00:00.000Z`, finishedAt: `${day}T02:00:07.000Z`, seconds: 6.5, path: 'incremental', reason: 'continues …', meanCosine,
  };
}

describe('meles status lists schedules: next run, last run, last failure, model, drift', () => {
  const prefix = uniquePrefix();
  after(async () => {
    await obliterateAll(prefix);
  });

  it('shows the schedule line, the last run with its model version, the last failure and a drift flag', { timeout: 240_000 }, async () => {
    const target = { redis, prefix };
    // 02:00 on January 1st: no scheduled job fires while the test runs.
    await addSchedule(target, { name: 'nightly', cron: '0 2 1 1 *', data: '/data/daily/*.arrow', out: '/runs/nightly', registry: '/runs/registry' });
    await addSchedule(target, { name: 'weekly', cron: '0 3 1 1 *', data: '/data/daily/*.arrow', out: '/runs/weekly', registry: '/runs/registry', incremental: false });

    // Three runs of `nightly`, processed by a worker in this process: two succeed (the second has drifted), one fails.
    const outcomes = [result('2026-11-10', 0.97), result('2026-11-11', 0.42), new Error('/data/daily/*.arrow: expected the pattern to match at least one file, found none')];
    const queue = new Queue(SCHEDULE_QUEUE, { connection: redis.options, prefix });
    const worker = new Worker(SCHEDULE_QUEUE, async (job: Job) => {
      const outcome = outcomes[Number(job.data.n)]!;
      if (outcome instanceof Error) throw outcome;
      return outcome;
    }, { connection: redis.options, prefix, concurrency: 1 });
    try {
      for (let n = 0; n < outcomes.length; n++) await queue.add('batch-embed', { schedule: 'nightly', n }, { attempts: 1 });
      await waitFor('three finished jobs', async () => {
        const counts = await queue.getJobCounts('completed', 'failed');
        return counts.completed === 2 && counts.failed === 1 ? true : undefined;
      }, 30_000);
    } finally {
      await worker.close();
      await queue.close();
    }

    const schedules = await collectScheduleStatus(redis, prefix);
    const nightly = schedules.find((s) => s.name === 'nightly')!;
    assert.equal(nightly.lastRun?.scheduledFor, '2026-11-11T02:00:00.000Z');
    assert.equal(nightly.lastRun?.meanCosine, 0.42);
    assert.match(nightly.lastFailure?.message ?? '', /found none/);
    assert.ok(nightly.next !== undefined);
    const weekly = schedules.find((s) => s.name === 'weekly')!;
    assert.equal(weekly.incremental, false);
    assert.equal(weekly.lastRun, undefined);
    assert.doesNotMatch(formatScheduleStatus(schedules, 0.4), /DRIFT/);

    const shown = await meles(['status', '--prefix', prefix]);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, /^schedule nightly {2}0 2 1 1 \* \(UTC\) {2}next \d{4}-01-01T02:00:00\.000Z {2}model latest$/m);
    assert.match(shown.out, /last run {6}2026-11-11T02:00:00\.000Z {2}1234 clients {2}6\.5 s {2}incremental {2}model v2 {2}cosine 0\.420/);
    assert.match(shown.out, /!! DRIFT .* 0\.420 < 0\.9/);
    assert.match(shown.out, /last failure {2}\S+ {2}\/data\/daily\/\*\.arrow: expected the pattern to match at least one file, found none/);
    assert.match(shown.out, /^schedule weekly .* full runs$/m);

    const relaxed = await meles(['status', '--prefix', prefix, '--drift-threshold', '0.3']);
    assert.doesNotMatch(relaxed.out, /DRIFT/);
    const json = JSON.parse((await meles(['status', '--prefix', prefix, '--json'])).out) as { runs: unknown[]; schedules: { name: string }[] };
    assert.deepEqual(json.schedules.map((s) => s.name).sort(), ['nightly', 'weekly']);
    const bad = await meles(['status', '--prefix', prefix, '--drift-threshold', 'high']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--drift-threshold/);
  });
});
