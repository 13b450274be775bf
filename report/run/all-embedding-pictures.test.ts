import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../../data/random.js';
import { allEmbeddingPictures } from './all-embedding-pictures.js';
import type { EmbeddingPictures, PictureSource } from './embedding-pictures.js';
import { ProjectionPrefetch } from './projection-prefetch.js';
import { projectSet, projectSetInWorker } from './project-set.js';
import { readRunInfo, runPath } from './run-layout.js';
import { writeTestRunDir } from './test-run-dir.js';

/** Everything but the wall-clock times, which differ between any two runs. */
function withoutTimes(sets: readonly EmbeddingPictures[]): unknown {
  return sets.map((s) => ({
    pictures: s.pictures,
    projections: s.projections.map(({ seconds: _seconds, ...rest }) => rest),
    steps: s.timings.map((t) => t.step),
    notes: s.notes,
  }));
}

describe('allEmbeddingPictures', () => {
  let dir: string;
  let sources: PictureSource[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meles-pictures-'));
    await writeTestRunDir(dir);
    const run = await readRunInfo(dir);
    sources = run.files.embeddings.map((entry) => ({
      name: entry.name,
      embeddings: runPath(dir, entry.path),
      targets: runPath(dir, run.files.targets),
      targetsLabel: run.files.targets,
      idColumn: run.idColumn,
      labels: run.labels,
    }));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('gives exactly the pictures, scores and notes of projecting the sets one after the other', async () => {
    assert.equal(sources.length, 2);
    const opts = { sample: 60, seed: 9, tsneSteps: 40 };
    const started: string[] = [];
    const inSequence = await allEmbeddingPictures(sources, { ...opts, threads: 1 });
    const atOnce = await allEmbeddingPictures(sources, { ...opts, threads: 2, onSet: (s, k) => started.push(`${k} ${s.name}`) });
    assert.deepEqual(started, ['0 MeLES', '1 random encoder']);
    assert.deepEqual(withoutTimes(atOnce), withoutTimes(inSequence));
    assert.equal(atOnce[1]!.pictures.length, 4 * 2);
    // The two sets differ, so equal results are not two copies of one set.
    assert.notDeepEqual(atOnce[0]!.projections[1], atOnce[1]!.projections[1]);
  });

  it('takes prefetched projections whose sample and settings match, projects the others, and draws the same pictures', async () => {
    const opts = { sample: 30, seed: 4, tsneSteps: 20 };
    // The second set prefetched with the report's settings, the first with other t-SNE steps: only
    // the second is taken, the first is projected here; the pictures are the sequential ones.
    const match = await ProjectionPrefetch.start([sources[1]!], opts);
    const other = await ProjectionPrefetch.start([sources[0]!], { ...opts, tsneSteps: 21 });
    const inSequence = await allEmbeddingPictures(sources, { ...opts, threads: 1 });
    assert.deepEqual(withoutTimes(await allEmbeddingPictures(sources, { ...opts, threads: 2, prefetch: match })), withoutTimes(inSequence));
    assert.equal(match.taken, 1);
    assert.deepEqual(withoutTimes(await allEmbeddingPictures(sources, { ...opts, threads: 1, prefetch: other })), withoutTimes(inSequence));
    assert.equal(other.taken, 0);
    await Promise.all([match.settled(), other.settled()]);
  });

  it('handles more sets than threads (three sets, two lanes) in order', async () => {
    const three = [sources[0]!, sources[1]!, { ...sources[0]!, name: 'MeLES again' }];
    const opts = { sample: 30, seed: 2, tsneSteps: 20 };
    const inSequence = await allEmbeddingPictures(three, { ...opts, threads: 1 });
    const atOnce = await allEmbeddingPictures(three, { ...opts, threads: 2 });
    assert.deepEqual(withoutTimes(atOnce), withoutTimes(inSequence));
    assert.deepEqual(atOnce.map((s) => s.projections[0]!.embedding), ['MeLES', 'random encoder', 'MeLES again']);
  });

  it('rejects an invalid thread count', async () => {
    await assert.rejects(allEmbeddingPictures(sources, { sample: 30, seed: 2, tsneSteps: 20, threads: 0 }), /Expected `threads` to be an integer >= 1, got `0`/);
  });
});

describe('projectSetInWorker', () => {
  const rng = new Rng(6);
  const rows = Array.from({ length: 50 }, () => Array.from({ length: 5 }, () => rng.normal()));

  it('gives exactly the scored projections of projectSet in this thread', async () => {
    const there = await projectSetInWorker(rows, { seed: 4, tsneSteps: 30 });
    const here = await projectSet(rows, { seed: 4, tsneSteps: 30, tsneOnWorker: false });
    for (const method of ['PCA', 'UMAP', 't-SNE', 'TriMap'] as const) {
      assert.deepEqual(there[method].x, here[method].x, method);
      assert.deepEqual(there[method].y, here[method].y, method);
      assert.deepEqual(there[method].scores, here[method].scores, method);
    }
  });

  it("rejects with the projection's own message when the rows are too few", async () => {
    await assert.rejects(projectSetInWorker(rows.slice(0, 5), { seed: 4, tsneSteps: 30 }), /Projecting an embedding set failed in its worker thread: Projection needs at least \d+ rows, got 5/);
  });
});
