/**
 * Published numbers (age-group accuracy / gender AUROC, test part, mean ± 95%) of the methods the
 * experiments re-run: the MeLES lecture's tables (/work/shared/reference/000_c875018a11cc4150.txt:
 * pair generation, losses, negative sampling, models, encoders) first, and where the lecture has
 * no row, the pytorch-lifestream ablations (reference/pytorch-lifestream.md section 7, no
 * intervals). Data only; the catalogue attaches them to rows.
 */
import type { PublishedNumber, PublishedScore } from '../../report/experiment-table.js';

const n = (mean: number, halfWidth?: number): PublishedNumber => (halfWidth === undefined ? { mean } : { mean, halfWidth });
const lecture = (age: PublishedNumber, gender: PublishedNumber): PublishedScore => ({ age, gender, source: 'lecture' });
const ptls = (age: PublishedNumber | undefined, gender: PublishedNumber | undefined): PublishedScore => ({
  ...(age === undefined ? {} : { age }),
  ...(gender === undefined ? {} : { gender }),
  source: 'ptls',
});

/** Lecture table "Pair generation method". */
export const PUBLISHED_PAIRS = {
  randomSamples: lecture(n(0.628, 0.003), n(0.851, 0.004)),
  randomDisjoint: lecture(n(0.608, 0.004), n(0.836, 0.008)),
  randomSlices: lecture(n(0.639, 0.006), n(0.872, 0.005)),
} as const;

/** Lecture table "Loss type". */
export const PUBLISHED_LOSSES = {
  contrastive: lecture(n(0.639, 0.006), n(0.871, 0.003)),
  binomialDeviance: lecture(n(0.535, 0.005), n(0.853, 0.005)),
  histogram: lecture(n(0.642, 0.002), n(0.851, 0.004)),
  margin: lecture(n(0.631, 0.003), n(0.871, 0.004)),
  triplet: lecture(n(0.61, 0.006), n(0.855, 0.003)),
} as const;

/** Lecture table "Negative sampling strategy", plus the ptls pair-sampling ablations it lacks. */
export const PUBLISHED_NEGATIVES = {
  hardNegative: lecture(n(0.637, 0.005), n(0.872, 0.004)),
  randomNegative: lecture(n(0.615, 0.005), n(0.826, 0.004)),
  distanceWeighted: lecture(n(0.62, 0.003), n(0.867, 0.003)),
  allPairs: ptls(n(0.63), n(0.871)),
  hardNegative2: ptls(n(0.646), n(0.882)),
  hardNegative9: ptls(n(0.637), n(0.886)),
} as const;

/** Lecture table "Encoder type". */
export const PUBLISHED_ENCODERS = {
  gru: lecture(n(0.639, 0.006), n(0.871, 0.004)),
  lstm: lecture(n(0.62, 0.003), n(0.87, 0.005)),
  transformer: lecture(n(0.621, 0.001), n(0.848, 0.002)),
} as const;

/** ptls hidden-size ablation: age accuracy and gender AUROC were published at different sizes. */
const HIDDEN_AGE: Readonly<Record<number, number>> = { 32: 0.593, 160: 0.62, 480: 0.637, 800: 0.641, 1600: 0.646, 2400: 0.637 };
const HIDDEN_GENDER: Readonly<Record<number, number>> = { 32: 0.841, 256: 0.872, 1024: 0.884, 3072: 0.846 };

/** The ptls numbers at embedding size `hidden`, or undefined when neither target was published there. */
export function publishedHiddenSize(hidden: number): PublishedScore | undefined {
  const age = HIDDEN_AGE[hidden];
  const gender = HIDDEN_GENDER[hidden];
  if (age === undefined && gender === undefined) return undefined;
  return ptls(age === undefined ? undefined : n(age), gender === undefined ? undefined : n(gender));
}

/** Lecture table "Method" (models), plus the ptls random-GRU baseline. */
export const PUBLISHED_MODELS = {
  handcrafted: lecture(n(0.626, 0.004), n(0.875, 0.004)),
  meles: lecture(n(0.639, 0.006), n(0.872, 0.005)),
  both: lecture(n(0.643, 0.009), n(0.882, 0.003)),
  supervised: lecture(n(0.631, 0.01), n(0.871, 0.007)),
  melesFineTuned: lecture(n(0.643, 0.007), n(0.888, 0.002)),
  cpc: lecture(n(0.595, 0.004), n(0.848, 0.004)),
  cpcFineTuned: lecture(n(0.621, 0.007), n(0.873, 0.007)),
  randomEncoder: ptls(n(0.375), n(0.593)),
} as const;
