/**
 * The experiments as data: for each name, the lecture's table title and method header and the rows
 * (variants) at a scale. Every MeLES row changes one training option against the default (the
 * scale's base: GRU, slices, contrastive loss with 5 hard negatives); runs key trainings by their
 * complete options, so the default row is trained once and shared by every experiment.
 */
import type { TrainingConfigInput } from '../../training/training-options.js';
import type { ExperimentDefinition, ExperimentName, ExperimentScale, ExperimentVariant, FeatureSource, LabelledModel } from './experiment-types.js';
import { PUBLISHED_ENCODERS, PUBLISHED_LOSSES, PUBLISHED_MODELS, PUBLISHED_NEGATIVES, PUBLISHED_PAIRS, publishedHiddenSize } from './published.js';

/** A MeLES training with `train` merged over the scale's base options. */
const meles = (train: TrainingConfigInput = {}): FeatureSource => ({ kind: 'trained', train });

/** The row every ablation compares against: the unchanged default training. */
function defaultRow(set: string, published: ExperimentVariant['published']): ExperimentVariant {
  return { set, description: 'the default: GRU, 5 random slices, contrastive loss (margin 0.5), 5 hard negatives per anchor', sources: [meles()], isDefault: true, ...(published === undefined ? {} : { published }) };
}

/** Pair losses mine 5 hard negatives per anchor, as ptls's loss ablations did. */
const HARD_NEGATIVES_5 = { kind: 'hard-negative', negCount: 5 } as const;

const pairs: ExperimentDefinition = {
  title: 'Pair generation methods',
  methodHeader: 'Pair generation method',
  variants: (scale: ExperimentScale) => [
    { set: 'Random samples', description: `splitter \`random\`: 5 random subsets of 25–${scale.viewMax} events (ptls SampleRandom)`, sources: [meles({ splitter: { kind: 'random', splitCount: 5, cntMin: 25, cntMax: scale.viewMax } })], published: PUBLISHED_PAIRS.randomSamples },
    { set: 'Random disjoint samples', description: `splitter \`split-random\`: the events dealt into 5 disjoint subsets of ≤${scale.viewMax} (ptls SplitRandom)`, sources: [meles({ splitter: { kind: 'split-random', splitCount: 5, cntMax: scale.viewMax } })], published: PUBLISHED_PAIRS.randomDisjoint },
    defaultRow('Random slices', PUBLISHED_PAIRS.randomSlices),
  ],
};

const losses: ExperimentDefinition = {
  title: 'Loss functions',
  methodHeader: 'Loss type',
  variants: () => [
    defaultRow('Contrastive loss', PUBLISHED_LOSSES.contrastive),
    { set: 'Binomial deviance loss', description: 'binomial deviance (α 1, β 0.3, C 1, cosine), 5 hard negatives', sources: [meles({ loss: { kind: 'binomial-deviance', alpha: 1, beta: 0.3, c: 1 }, miner: HARD_NEGATIVES_5 })], published: PUBLISHED_LOSSES.binomialDeviance },
    { set: 'Histogram loss', description: 'histogram loss (25 bins on cosine similarity), 5 hard negatives', sources: [meles({ loss: { kind: 'histogram', numSteps: 25 }, miner: HARD_NEGATIVES_5 })], published: PUBLISHED_LOSSES.histogram },
    { set: 'Margin loss', description: 'margin loss (margin 0.2, β 0.4), 5 hard negatives', sources: [meles({ loss: { kind: 'margin', margin: 0.2, beta: 0.4 }, miner: HARD_NEGATIVES_5 })], published: PUBLISHED_LOSSES.margin },
    { set: 'Triplet loss', description: 'triplet loss (margin 0.3, summed), 5 hard triplets per positive pair', sources: [meles({ loss: { kind: 'triplet', margin: 0.3, reduction: 'sum' }, miner: { kind: 'hard-triplet', negCount: 5 } })], published: PUBLISHED_LOSSES.triplet },
  ],
};

const negatives: ExperimentDefinition = {
  title: 'Negative sampling strategies',
  methodHeader: 'Negative sampling strategy',
  variants: () => [
    defaultRow('Hard negative mining (5)', PUBLISHED_NEGATIVES.hardNegative),
    { set: 'Random negative sampling', description: 'one random negative per positive pair (ptls RandomNegativeTripletSelector)', sources: [meles({ miner: { kind: 'random-negative', seed: 1 } })], published: PUBLISHED_NEGATIVES.randomNegative },
    { set: 'Distance weighted sampling', description: 'negatives drawn by inverse distance density (Wu et al., cutoff 0.5)', sources: [meles({ miner: { kind: 'distance-weighted', seed: 1 } })], published: PUBLISHED_NEGATIVES.distanceWeighted },
    { set: 'All pairs', description: 'every positive pair, negatives subsampled to as many (ptls AllPositivePairSelector)', sources: [meles({ miner: { kind: 'all-pairs', balance: true, seed: 1 } })], published: PUBLISHED_NEGATIVES.allPairs },
    { set: 'Hard negative mining (2)', description: '2 hardest negatives per anchor', sources: [meles({ miner: { kind: 'hard-negative', negCount: 2 } })], published: PUBLISHED_NEGATIVES.hardNegative2 },
    { set: 'Hard negative mining (9)', description: '9 hardest negatives per anchor', sources: [meles({ miner: { kind: 'hard-negative', negCount: 9 } })], published: PUBLISHED_NEGATIVES.hardNegative9 },
  ],
};

const encoders: ExperimentDefinition = {
  title: 'Encoder types',
  methodHeader: 'Encoder type',
  variants: (scale: ExperimentScale) => [
    { set: 'LSTM', description: `LSTM, hidden ${scale.hidden}`, sources: [meles({ encoder: { encoder: 'lstm' } })], published: PUBLISHED_ENCODERS.lstm },
    defaultRow('GRU', PUBLISHED_ENCODERS.gru),
    { set: 'Transformer', description: `Transformer, width ${scale.hidden}, 4 heads, 1 layer`, sources: [meles({ encoder: { encoder: 'transformer' } })], published: PUBLISHED_ENCODERS.transformer },
  ],
};

const embeddingSize: ExperimentDefinition = {
  title: 'Embedding size',
  methodHeader: 'Embedding size (GRU hidden)',
  variants: (scale: ExperimentScale) => scale.hiddenSizes.map((hidden): ExperimentVariant => {
    const published = publishedHiddenSize(hidden);
    return {
      set: `hidden ${hidden}`,
      description: hidden === scale.hidden ? `GRU hidden ${hidden} (the scale's default)` : `GRU hidden ${hidden}`,
      sources: [meles(hidden === scale.hidden ? {} : { encoder: { hidden } })],
      ...(published === undefined ? {} : { published }),
      // t-tests against the scale's default size (or the first size when the default is not listed).
      isDefault: hidden === (scale.hiddenSizes.includes(scale.hidden) ? scale.hidden : scale.hiddenSizes[0]),
    };
  }),
};

/** CPC with the default encoder. */
const CPC: TrainingConfigInput = { method: 'cpc' };

/** Fine-tuning a self-supervised training (the base with `train` merged over it). */
const fineTuned = (train: TrainingConfigInput = {}): LabelledModel => ({ kind: 'fine-tuned', from: train });

/** What the labelled rows do at a scale, for the page. */
const supervisedText = (scale: ExperimentScale): string =>
  `GRU hidden ${scale.hidden} and a linear head trained on the labels from scratch, one per fold: ${scale.labelled.supervisedEpochs} epochs at lr ${scale.labelled.supervisedLearningRate}, slices of ${scale.labelled.sliceMin}–${scale.labelled.sliceMax} events`;
const finetuneText = (what: string, scale: ExperimentScale): string =>
  `${what} with a new linear head${scale.labelled.standardizeEmbedding ? ' on the standardised embedding' : ''} fine-tuned on the labels, one per fold: ${scale.labelled.finetuneEpochs} epochs, encoder lr ${scale.labelled.encoderLearningRate}, head lr ${scale.labelled.headLearningRate}`;

/** The lecture's models table, in its row order (random encoder from ptls at the end). */
const models: ExperimentDefinition = {
  title: 'Models',
  methodHeader: 'Method',
  variants: (scale: ExperimentScale) => [
    { set: 'LightGBM on hand-crafted features', description: 'the aggregate baseline of `meles features`', sources: [{ kind: 'handcrafted' }], published: PUBLISHED_MODELS.handcrafted },
    { set: 'LightGBM on MeLES embeddings', description: 'the default MeLES training', sources: [meles()], published: PUBLISHED_MODELS.meles, isDefault: true },
    { set: 'LightGBM on both hand-crafted features and MeLES embeddings', description: 'hand-crafted features and MeLES embeddings side by side', sources: [{ kind: 'handcrafted' }, meles()], published: PUBLISHED_MODELS.both },
    { set: 'Supervised learning', description: supervisedText(scale), model: { kind: 'supervised' }, published: PUBLISHED_MODELS.supervised },
    { set: 'MeLES fine-tuning', description: finetuneText('the default MeLES encoder', scale), model: fineTuned(), published: PUBLISHED_MODELS.melesFineTuned },
    { set: 'LightGBM on CPC embeddings', description: 'CPC (`method: cpc`, 6 steps ahead, 40 negatives) with the default encoder', sources: [meles(CPC)], published: PUBLISHED_MODELS.cpc },
    { set: 'Fine-tuned Contrastive Predictive Coding', description: finetuneText('the CPC encoder', scale), model: fineTuned(CPC), published: PUBLISHED_MODELS.cpcFineTuned },
    { set: 'LightGBM on a random encoder', description: 'an untrained encoder of the default architecture', sources: [{ kind: 'random-encoder' }], published: PUBLISHED_MODELS.randomEncoder },
  ],
};

/**
 * Quality against the share of labelled clients (the lecture's figure; ptls published MeLES,
 * the aggregate baseline and supervised at a few label counts). The self-supervised training is
 * shared by every fraction: it never sees labels.
 */
const labelFraction: ExperimentDefinition = {
  title: 'Share of labelled data',
  methodHeader: 'Method',
  byLabelFraction: true,
  variants: (scale: ExperimentScale) => [
    { set: 'LightGBM on hand-crafted features', description: 'the aggregate baseline of `meles features`', sources: [{ kind: 'handcrafted' }] },
    { set: 'LightGBM on MeLES embeddings', description: 'the default MeLES training (never sees labels)', sources: [meles()], isDefault: true },
    { set: 'Supervised learning', description: supervisedText(scale), model: { kind: 'supervised' } },
    { set: 'MeLES fine-tuning', description: finetuneText('the default MeLES encoder', scale), model: fineTuned() },
  ],
};

/** Every experiment, by name. */
export const EXPERIMENTS: Readonly<Record<ExperimentName, ExperimentDefinition>> = {
  pairs,
  losses,
  negatives,
  encoders,
  'embedding-size': embeddingSize,
  models,
  'label-fraction': labelFraction,
};
