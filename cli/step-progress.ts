/**
 * A progress bar over named steps for `meles report` and `meles demo`, on stderr so stdout stays
 * clean for `--json`. Silent with `--quiet`, `--json` or `MELES_QUIET=1` (set by the test runner).
 */
import cliProgress from 'cli-progress';

/** Reports which step of a multi-step command is running. */
export interface StepProgress {
  /** Marks `name` as running; `index` of `total` steps have finished. */
  step(name: string, index: number, total: number): void;
  /** Shows a detail of the running step (e.g. `epoch 2/4 loss 0.41`), at most once a second. */
  note(message: string): void;
  /** Fills and stops the bar. Safe to call twice. */
  stop(): void;
}

/** A progress bar on stderr, or a silent reporter when output must stay machine-readable. */
export function stepProgress(options: { quiet: boolean }): StepProgress {
  if (options.quiet || process.env['MELES_QUIET'] === '1') return { step: () => {}, note: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    {
      format: '{bar} {value}/{total} steps | {elapsed}s | {step} {note}',
      stream: process.stderr,
      noTTYOutput: true,
      notTTYSchedule: 2000,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  let running = false;
  let current = '';
  let lastNote = 0;
  const elapsed = (): string => ((performance.now() - started) / 1000).toFixed(0);
  return {
    step(name, index, total) {
      current = name;
      const payload = { step: name, note: '', elapsed: elapsed() };
      if (!running) {
        bar.start(total, index, payload);
        running = true;
      } else {
        bar.setTotal(total);
        bar.update(index, payload);
      }
    },
    note(message) {
      const now = performance.now();
      if (!running || now - lastNote < 1000) return;
      lastNote = now;
      bar.update({ step: current, note: `(${message})`, elapsed: elapsed() });
    },
    stop() {
      if (!running) return;
      bar.update(bar.getTotal(), { step: 'done', note: '', elapsed: elapsed() });
      bar.stop();
      running = false;
    },
  };
}
