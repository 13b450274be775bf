import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendEpochMetrics, EPOCH_METRICS_FILE, parseEpochMetrics, readEpochMetrics, type EpochMetrics } from './epoch-metrics.js';
import { DataFormatError } from '../errors.js';

const epoch0: EpochMetrics = { epoch: 0, loss: 573.68, recallAt4: 0.0967, learningRate: 0.002, batches: 9, events: 177195, seconds: 2.976, eventsPerSecond: 59532 };

describe('metrics.jsonl', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meles-epochs-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('reads back what the trainer appends, NaN loss and null recall included', async () => {
    const path = join(dir, EPOCH_METRICS_FILE);
    const epoch1: EpochMetrics = { ...epoch0, epoch: 1, loss: NaN, recallAt4: null, batches: 0, events: 0 };
    await appendEpochMetrics(path, epoch0);
    await appendEpochMetrics(path, epoch1);
    assert.deepEqual(await readEpochMetrics(path), [epoch0, epoch1]);
  });

  it('reads a log the trainer wrote before the type moved (a line of a real run)', () => {
    const line = '{"epoch":2,"loss":213.69422912597656,"recallAt4":0.11166666666666666,"learningRate":0.002,"batches":9,"events":177344,"seconds":2.319,"eventsPerSecond":76485}';
    assert.deepEqual(parseEpochMetrics(`${line}\n\n`, 'm.jsonl'), [
      { epoch: 2, loss: 213.69422912597656, recallAt4: 0.11166666666666666, learningRate: 0.002, batches: 9, events: 177344, seconds: 2.319, eventsPerSecond: 76485 },
    ]);
  });

  it('keeps the later line of a repeated epoch (a resumed run) and sorts by epoch', () => {
    const text = [{ ...epoch0, epoch: 1 }, epoch0, { ...epoch0, epoch: 1, loss: 1.5 }].map((m) => JSON.stringify(m)).join('\n');
    assert.deepEqual(parseEpochMetrics(text, 'm.jsonl').map((m) => [m.epoch, m.loss]), [[0, 573.68], [1, 1.5]]);
  });

  it('names the file, line and field of a bad line', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, `${JSON.stringify(epoch0)}\nnot json\n`);
    await assert.rejects(readEpochMetrics(path), (e) => e instanceof DataFormatError && /bad\.jsonl line 2: expected a JSON object, got `not json`/.test(e.message));
    const { recallAt4: _, ...withoutRecall } = epoch0;
    assert.throws(() => parseEpochMetrics(JSON.stringify(withoutRecall), 'm.jsonl'), (e) => e instanceof DataFormatError && /m\.jsonl line 1: .*field `recallAt4`/.test(e.message));
    assert.throws(() => parseEpochMetrics(JSON.stringify({ ...epoch0, valRecallAt4: 0.5 }), 'm.jsonl'), /m\.jsonl line 1: .*valRecallAt4/);
    assert.throws(() => parseEpochMetrics(JSON.stringify({ ...epoch0, epoch: 'one' }), 'm.jsonl'), /line 1: .*field `epoch`/);
    await assert.rejects(readEpochMetrics(join(dir, 'missing.jsonl')), (e) => e instanceof DataFormatError && /missing\.jsonl: cannot read training metrics \(ENOENT\)/.test(e.message));
  });
});
