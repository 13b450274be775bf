import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelVersion, RegistryIndex } from '../../pipeline/model-registry.js';
import { formatRegistry } from './model.js';

const entry = (version: string): ModelVersion => ({
  version, publishedAt: '2024-01-01T00:00:00.000Z', source: `/runs/${version}`, sha256: '0'.repeat(64),
  evaluation: { scores: [{ target: 'gender', metric: 'auroc', set: 'meles', mean: 0.75 }], passed: [] },
});

describe('meles model list', () => {
  it('tags latest, pinned and previous, and says which version schedules use', () => {
    const index: RegistryIndex = { formatVersion: 2, latest: 'v3', pinned: 'v1', versions: ['v1', 'v2', 'v3', 'v4'].map(entry), history: [] };
    assert.equal(formatRegistry(index), [
      'v1 (pinned)  2024-01-01T00:00:00.000Z  /runs/v1  gender auroc 0.7500',
      'v2 (previous)  2024-01-01T00:00:00.000Z  /runs/v2  gender auroc 0.7500',
      'v3 (latest)  2024-01-01T00:00:00.000Z  /runs/v3  gender auroc 0.7500',
      'v4  2024-01-01T00:00:00.000Z  /runs/v4  gender auroc 0.7500',
      'schedules following the registry use v1 (pinned)',
      '',
    ].join('\n'));
    assert.match(formatRegistry({ ...index, pinned: null }), /use v3\n$/);
    assert.equal(formatRegistry({ ...index, latest: null, pinned: null, versions: [] }), 'no published models\n');
  });
});
