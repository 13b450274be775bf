/**
 * Progress bars on stderr (cli-progress) for `meles train` and `meles embed`. The trainer and
 * `embedFile` only report typed progress events (`onProgress`); drawing is the CLI's job, so a
 * library caller or a pipeline worker never gets terminal output it did not ask for. Off when
 * `MELES_QUIET=1`, so tests stay silent.
 */
import cliProgress from 'cli-progress';
import type { EmbedProgress } from '../training/embed-file.js';
import type { BatchProgress } from '../training/trainer.js';

/** A bar that may be disabled; every method is safe to call either way. */
export class ProgressBar {
  private readonly bar?: cliProgress.SingleBar;
  private running = false;

  /** @param enabled - false (or `MELES_QUIET=1`) makes every call a no-op */
  constructor(enabled: boolean, format: string) {
    if (!enabled || process.env.MELES_QUIET === '1') return;
    this.bar = new cliProgress.SingleBar(
      { format, stream: process.stderr, noTTYOutput: true, notTTYSchedule: 5000, hideCursor: false, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
  }

  /** Starts (or restarts) the bar at `value` of `total`. */
  start(total: number, value: number, payload: Record<string, string | number>): void {
    this.bar?.start(total, value, payload);
    this.running = true;
  }

  /** Moves the bar. */
  update(value: number, payload: Record<string, string | number>): void {
    this.bar?.update(value, payload);
  }

  /** Ends the bar's line. Safe to call twice. */
  stop(): void {
    if (!this.running) return;
    this.bar?.stop();
    this.running = false;
  }
}

/** A progress listener plus the call that ends its output. */
export interface ProgressView<E> {
  /** Pass as the `onProgress` option. */
  readonly onProgress: (event: E) => void;
  /** Ends the bar's line (call when the work returns or throws). */
  readonly stop: () => void;
}

/** One bar per epoch: `epoch 2/10 [████░░] 12/40 | loss 0.4123 | 51234 events/s`. */
export function trainingProgressBar(enabled: boolean): ProgressView<BatchProgress> {
  const bar = new ProgressBar(enabled, 'epoch {epoch} [{bar}] {value}/{total} | loss {loss} | {eps} events/s');
  let shownEpoch = -1;
  return {
    onProgress(p) {
      const payload = { epoch: `${p.epoch + 1}/${p.epochs}`, loss: p.loss.toFixed(4), eps: p.eventsPerSecond };
      if (p.epoch !== shownEpoch) {
        // A resumed epoch starts at its checkpointed batch, not at 0.
        bar.stop();
        bar.start(p.batches, p.batch, payload);
        shownEpoch = p.epoch;
      }
      bar.update(p.batch + 1, payload);
    },
    stop: () => bar.stop(),
  };
}

/** `embed [████░░] 2048/5000 clients`. */
export function embeddingProgressBar(enabled: boolean): ProgressView<EmbedProgress> {
  const bar = new ProgressBar(enabled, 'embed [{bar}] {value}/{total} clients');
  let started = false;
  return {
    onProgress(p) {
      if (!started) bar.start(p.total, 0, {});
      started = true;
      bar.update(p.clients, {});
    },
    stop: () => bar.stop(),
  };
}
