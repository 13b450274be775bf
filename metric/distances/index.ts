/** The distances, re-exported by name. */
export { BaseDistance, l2Normalize, squaredDistances, type DistanceOptions } from './base-distance.js';
export { EuclideanDistance } from './euclidean-distance.js';
export { SquaredEuclideanDistance } from './squared-euclidean-distance.js';
export { CosineSimilarity } from './cosine-similarity.js';
export { DotProductSimilarity } from './dot-product-similarity.js';
