/**
 * The stage contract. A stage is one typed function from parameters and input paths to files in a
 * directory plus a small JSON result; `runStage` (run-stage.ts) owns the fixed steps around it:
 * hashing inputs, skipping when the manifest matches, the temp directory, the manifest and the rename.
 */
import type { z } from 'zod';

/**
 * Every kind of stage job; `embed-shard` embeds one part of the clients, `embed` merges the parts;
 * `fit` and `score` (a downstream LightGBM model and its predictions) run only when configured.
 */
export type StageName = 'ingest' | 'train' | 'embed-shard' | 'embed' | 'features' | 'compare' | 'fit' | 'score';

/** Progress reported by a running stage (shown by `meles pipeline run` and `meles status`). */
export interface StageProgress {
  /** Fraction done in [0, 1]. */
  readonly fraction: number;
  /** A short human-readable note, e.g. `epoch 2/5 loss 0.41`. */
  readonly message?: string;
}

/** What a stage body gets besides its parameters. */
export interface StageContext {
  /** Empty directory to write outputs into; it becomes the stage's output directory on success. */
  readonly workDir: string;
  /** The pipeline's output root; upstream stage outputs live in `<outRoot>/<stage>`. */
  readonly outRoot: string;
  /** The manifest key of this run (hash of stage, parameters and input hashes): names resumable scratch state. */
  readonly key: string;
  /** SHA-256 of each input (by the labels of {@link StageDefinition.inputs}): identifies their content for caches. */
  readonly inputHashes: Readonly<Record<string, string>>;
  /** Aborted on shutdown; long stages check it between batches. */
  readonly signal: AbortSignal;
  /** Reports progress; cheap to call often (callers throttle). */
  readonly progress: (progress: StageProgress) => void;
}

/**
 * One stage. `Params` is the slice of the pipeline config the stage depends on (it is hashed
 * into the manifest key, so it must hold no output locations); `Result` is a small JSON value.
 */
export interface StageDefinition<Params, Result> {
  /** The stage kind. */
  readonly name: StageName;
  /**
   * Files or directories whose content identifies the run, by stable label (labels, not paths,
   * go into the manifest key, so a copied output directory still matches).
   */
  inputs(params: Params, outRoot: string): Readonly<Record<string, string>>;
  /** The stage body: reads its inputs, writes into `ctx.workDir`, returns its result. */
  run(params: Params, ctx: StageContext): Promise<Result>;
  /** Schema of `Result`, used to read a stored manifest back with types. */
  readonly resultSchema: z.ZodType<Result>;
}

/** The output directory of a stage (or of one embed shard) under the pipeline's output root. */
export function stageDir(outRoot: string, name: StageName, shard?: { index: number; count: number }): string {
  if (name === 'embed-shard') {
    if (!shard) throw new Error('embed-shard needs a shard');
    return `${outRoot}/embed-shards/part-${pad(shard.index)}-of-${pad(shard.count)}`;
  }
  return `${outRoot}/${name}`;
}

function pad(n: number): string {
  return String(n).padStart(5, '0');
}
