/**
 * Features: the hand-crafted aggregate baseline (downstream/aggregate-features-io.ts), written as
 * `features.arrow` keyed by client id. Runs only after ingest validated the data.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { writeAggregateFeatures } from '../../downstream/features/aggregate-features-io.js';
import type { SchemaMapping } from '../../data/schema-mapping.js';
import { MANIFEST_FILE } from '../manifest.js';
import { stageDir, type StageDefinition } from '../stage.js';

/** What the features stage depends on. */
export interface FeaturesParams {
  /** Transactions file. */
  readonly data: string;
  /** Column mapping. */
  readonly schema: SchemaMapping;
}

const resultSchema = z.object({ clients: z.number(), features: z.number() });

/** The features stage's result. */
export type FeaturesResult = z.infer<typeof resultSchema>;

/** The features file inside the stage directory. */
export const FEATURES_FILE = 'features.arrow';

/** The features stage. */
export const featuresStage: StageDefinition<FeaturesParams, FeaturesResult> = {
  name: 'features',
  resultSchema,
  inputs: (params, outRoot) => ({ data: params.data, ingest: join(stageDir(outRoot, 'ingest'), MANIFEST_FILE) }),
  async run(params, ctx) {
    ctx.progress({ fraction: 0, message: 'aggregating' });
    const summary = await writeAggregateFeatures(params.data, params.schema, join(ctx.workDir, FEATURES_FILE));
    ctx.progress({ fraction: 1, message: `${summary.features} features` });
    return { clients: summary.clients, features: summary.features };
  },
};
