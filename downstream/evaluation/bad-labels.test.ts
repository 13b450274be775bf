import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromColumns, writeArrowTable } from '../../data/arrow-sink.js';
import { evaluateFeatureSets } from './evaluate.js';

describe('evaluateFeatureSets on bad labels', () => {
  it('refuses NaN labels (Arrow float or CSV text), one class only, and a label file whose ids have no features', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-bad-labels-'));
    try {
      const ids = Int32Array.from({ length: 40 }, (_, i) => i);
      await writeArrowTable(join(dir, 'f.arrow'), tableFromColumns({ id: ids, x: Float32Array.from(ids) }));
      const y = Float64Array.from(ids, (i) => (i === 7 ? NaN : i % 2));
      await writeArrowTable(join(dir, 'nan.arrow'), tableFromColumns({ id: ids, y }));
      await writeFile(join(dir, 'nan.csv'), ['id,y', ...Array.from(ids, (i) => `${i},${i === 3 ? 'nan' : i % 2}`)].join('\n'));
      await writeFile(join(dir, 'one.csv'), ['id,y', ...Array.from(ids, (i) => `${i},1`)].join('\n'));
      await writeFile(join(dir, 'other.csv'), ['id,y', ...Array.from(ids, (i) => `${i + 1000},${i % 2}`)].join('\n'));
      const run = (targetsPath: string) => evaluateFeatureSets({
        targetsPath, idColumn: 'id', targets: [{ column: 'y', kind: 'binary' }], featureSets: [{ name: 'f', paths: [join(dir, 'f.arrow')] }], folds: 2, numIterations: 2,
      });
      await assert.rejects(run(join(dir, 'nan.arrow')), { name: 'DataFormatError', message: /nan\.arrow: target `y`: expected a class value or an empty\/null label, found NaN at row 8 \(id `7`\)/ });
      await assert.rejects(run(join(dir, 'nan.csv')), { name: 'DataFormatError', message: /found NaN at row 4 \(id `3`\)/ });
      await assert.rejects(run(join(dir, 'one.csv')), { name: 'DataFormatError', message: /one\.csv: target `y` \(binary\): expected at least 2 classes, found 1/ });
      await assert.rejects(run(join(dir, 'other.csv')), { name: 'DataFormatError', message: /none of the 40 labelled ids of `y` has features/ });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
