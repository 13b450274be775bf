/**
 * Learning-rate schedules applied once per epoch: step (PyTorch `StepLR`), cosine annealing and
 * reduce-on-plateau (on validation recall@4, as ptls monitors `recall_top_k`). A schedule is plain
 * data plus a pure function, so its state survives checkpoints as JSON.
 */

/** A schedule as configured. */
export type ScheduleConfig =
  | { readonly kind: 'constant' }
  | { readonly kind: 'step'; readonly stepEpochs: number; readonly gamma: number }
  | { readonly kind: 'cosine'; readonly minLearningRate: number }
  | { readonly kind: 'plateau'; readonly factor: number; readonly patience: number; readonly minLearningRate: number };

/** What a schedule remembers between epochs (only plateau needs anything). */
export interface ScheduleState {
  /** Best monitored value so far (null before the first; JSON has no -Infinity). */
  readonly best: number | null;
  /** Epochs since `best` improved. */
  readonly badEpochs: number;
  /** Current learning rate (plateau changes it stepwise). */
  readonly learningRate: number;
}

/** Initial state for a base learning rate. */
export function initialScheduleState(base: number): ScheduleState {
  return { best: null, badEpochs: 0, learningRate: base };
}

/**
 * The learning rate for the epoch after `epoch` (0-based, just finished) and the new state.
 * @param metric - validation recall@4 of the finished epoch (NaN when there is no validation)
 */
export function nextLearningRate(
  config: ScheduleConfig,
  base: number,
  totalEpochs: number,
  epoch: number,
  state: ScheduleState,
  metric: number,
): ScheduleState {
  const done = epoch + 1;
  switch (config.kind) {
    case 'constant':
      return { ...state, learningRate: base };
    case 'step':
      return { ...state, learningRate: base * Math.pow(config.gamma, Math.floor(done / config.stepEpochs)) };
    case 'cosine': {
      const progress = Math.min(1, done / Math.max(1, totalEpochs));
      return { ...state, learningRate: config.minLearningRate + 0.5 * (base - config.minLearningRate) * (1 + Math.cos(Math.PI * progress)) };
    }
    case 'plateau': {
      if (!Number.isFinite(metric)) return state;
      if (state.best === null || metric > state.best) return { best: metric, badEpochs: 0, learningRate: state.learningRate };
      const badEpochs = state.badEpochs + 1;
      if (badEpochs <= config.patience) return { ...state, badEpochs };
      return { best: state.best, badEpochs: 0, learningRate: Math.max(config.minLearningRate, state.learningRate * config.factor) };
    }
  }
}
