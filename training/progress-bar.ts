/**
 * A progress bar on stderr (cli-progress) for long loops: current/total plus free-form fields
 * such as loss and events/s. Off when `MELES_QUIET=1`, so tests and pipelines stay silent.
 */
import cliProgress from 'cli-progress';

/** A bar that may be disabled; every method is safe to call either way. */
export class ProgressBar {
  private readonly bar?: cliProgress.SingleBar;

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
  }

  /** Moves the bar. */
  update(value: number, payload: Record<string, string | number>): void {
    this.bar?.update(value, payload);
  }

  /** Ends the bar's line. */
  stop(): void {
    this.bar?.stop();
  }
}
