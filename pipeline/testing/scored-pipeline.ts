/**
 * Test helper: the small pipeline the stage tests run end to end, every stage through `score`
 * (a one-epoch GRU of hidden size 8, two embed shards, two-fold compare, five-tree LightGBM fit
 * scored on features + embeddings), over the synthetic data's schema and `gender` target. The
 * tests over one file and over a partition directory share it, so they check the same pipeline.
 */
import { SYNTHETIC_SCHEMA } from '../../data/synthetic/generate-transactions.js';
import { parsePipelineConfig, type PipelineConfig } from '../pipeline-config.js';

/**
 * The pipeline named `name` over `data` (a transactions file or a partition directory), with
 * `data/targets.arrow` as targets and `out` as its output, both relative to `root`.
 */
export function scoredPipelineConfig(name: string, data: string, root: string): PipelineConfig {
  return parsePipelineConfig({
    name,
    data,
    schema: { ...SYNTHETIC_SCHEMA },
    out: 'out',
    train: { epochs: 1, batchSize: 32, maxBatchesPerEpoch: 2, encoder: { hidden: 8 }, validationShare: 0 },
    embed: { shards: 2 },
    targets: { path: 'data/targets.arrow', columns: [{ name: 'gender', kind: 'binary' }] },
    compare: { folds: 2, numIterations: 5 },
    fit: { target: 'gender', sets: ['features', 'embed'], trees: 5 },
    score: { model: 'fit', sets: ['features', 'embed'] },
  }, 'test', root);
}
