/**
 * The options, progress events and result of the demo workflow (pipeline/demo.ts), apart from the
 * workflow so the CLI can validate flags and format results without loading tfjs.
 */
import { expectInteger } from '../options.js';
import { MAX_TRAINING_THREADS, type ThreadsSetting } from '../training/parallel/threads.js';

/** The demo's size and seeds. Defaults were chosen by timing whole demos on the 2-core machine (README). */
export interface DemoOptions {
  /** Run directory. @defaultValue `'runs/demo'` */
  readonly out: string;
  /** Synthetic clients. Minimum `200`. @defaultValue `2000` */
  readonly clients: number;
  /** Training epochs. Minimum `1`. @defaultValue `30` (the loss and recall@4 still improve at 10; 30 takes about 2.5 min of the demo on 2 idle cores) */
  readonly epochs: number;
  /** GRU hidden size (= embedding width). Minimum `4`. @defaultValue `64` */
  readonly hidden: number;
  /** Seed of data, training, folds and pictures. @defaultValue `42` */
  readonly seed: number;
  /** LightGBM trees per model in the comparison. Minimum `10`. @defaultValue `100` */
  readonly trees: number;
  /** Most clients per embedding picture. Minimum `10`. @defaultValue `700` */
  readonly sample: number;
  /**
   * Training threads (data-parallel gradient steps, training/parallel/): a count or `'auto'`
   * (cores, at most 2). A count other than 1 moves the trained weights by float rounding, so the
   * demo's numbers are reproducible for a given seed and thread count. @defaultValue `'auto'`
   */
  readonly threads: ThreadsSetting;
}

/** The defaults of {@link DemoOptions}. */
export const DEMO_DEFAULTS: DemoOptions = { out: 'runs/demo', clients: 2000, epochs: 30, hidden: 64, seed: 42, trees: 100, sample: 700, threads: 'auto' };

/** Spreads the defaults under `partial` and validates the result (the CLI boundary). */
export function resolveDemoOptions(partial: Partial<DemoOptions>): DemoOptions {
  const o = { ...DEMO_DEFAULTS, ...partial };
  expectInteger('clients', o.clients, 200);
  expectInteger('epochs', o.epochs, 1);
  expectInteger('hidden', o.hidden, 4);
  expectInteger('trees', o.trees, 10);
  expectInteger('sample', o.sample, 10);
  expectInteger('seed', o.seed, 0, 2 ** 32 - 2);
  if (o.threads !== 'auto') expectInteger('threads', o.threads, 1, MAX_TRAINING_THREADS);
  return o;
}

/**
 * What the demo reports while it runs: a new step (`index` of `total` steps have finished; the
 * pipeline's steps carry their `stepLabel`), or a detail of the running step.
 */
export type DemoProgress =
  | { readonly kind: 'step'; readonly name: string; readonly index: number; readonly total: number }
  | { readonly kind: 'note'; readonly message: string };

/** Hooks of {@link runDemo}. */
export interface DemoHooks {
  /** Called on every step and detail. @defaultValue no callback */
  readonly onProgress?: (event: DemoProgress) => void;
}

/** One row of the demo's A/B table: a feature set's primary metric on one target (test part). */
export interface DemoTableRow {
  readonly set: string;
  readonly target: string;
  readonly metric: string;
  readonly mean: number;
  /** Half-width of the 95% interval. */
  readonly halfWidth: number;
}

/** What the demo did, for `--json` and the closing note. */
export interface DemoResult {
  /** Absolute run directory. */
  readonly runDir: string;
  /** `report.html`. */
  readonly report: string;
  /** Wall time of the whole demo. */
  readonly seconds: number;
  readonly table: readonly DemoTableRow[];
  readonly timings: readonly { readonly step: string; readonly seconds: number }[];
  /**
   * Fits of the comparison that were made while the encoder trained (the hand-crafted set's, one
   * per target and fold) and taken from the fit pool's memory instead of being made again.
   */
  readonly fitsMadeDuringTraining: number;
}
