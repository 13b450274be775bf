/** Builds a distance from a plain config. */
import { ConfigError } from '../../errors.js';
import { expectBoolean } from '../../options.js';
import type { BaseDistance } from './base-distance.js';
import { CosineSimilarity } from './cosine-similarity.js';
import { DotProductSimilarity } from './dot-product-similarity.js';
import { EuclideanDistance } from './euclidean-distance.js';
import { SquaredEuclideanDistance } from './squared-euclidean-distance.js';

/** A distance described as data. `normalize` L2-normalises rows first (default `false`). */
export type DistanceConfig =
  | { readonly kind: 'euclidean'; readonly normalize?: boolean }
  | { readonly kind: 'squared-euclidean'; readonly normalize?: boolean }
  | { readonly kind: 'cosine' }
  | { readonly kind: 'dot'; readonly normalize?: boolean };

/** Creates the distance a config describes. */
export function createDistance(config: DistanceConfig): BaseDistance {
  const normalizeEmbeddings = 'normalize' in config && config.normalize !== undefined ? expectBoolean('normalize', config.normalize) : false;
  switch (config.kind) {
    case 'euclidean':
      return new EuclideanDistance({ normalizeEmbeddings });
    case 'squared-euclidean':
      return new SquaredEuclideanDistance({ normalizeEmbeddings });
    case 'cosine':
      return new CosineSimilarity();
    case 'dot':
      return new DotProductSimilarity({ normalizeEmbeddings });
    default: {
      const unknown: { kind?: unknown } = config;
      throw new ConfigError(
        `Expected distance \`kind\` to be one of \`euclidean\`, \`squared-euclidean\`, \`cosine\`, \`dot\`, got \`${String(unknown.kind)}\` (${typeof unknown.kind})`,
      );
    }
  }
}
