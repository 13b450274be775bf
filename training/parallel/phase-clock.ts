/**
 * Wall-clock marks of a data-parallel step's phases on each thread, for profiling where a step's
 * time goes (scripts/profile-train-step.ts `--threads 2`). Off unless asked for: a disabled clock
 * records nothing. Each mark also carries the thread's own CPU time (Linux), so a profile taken
 * while other processes compete for the cores still shows how much work each phase was.
 */
import { openSync, readSync } from 'node:fs';

/** The end of a phase on the training thread (`main/…`) or on a gradient worker (`worker/…`). */
export type StepPhase =
  | 'main/start'
  | 'main/job-posted'
  | 'main/own-forward'
  | 'main/embeddings-gathered'
  | 'main/loss-gradient'
  | 'main/own-backward'
  | 'main/replies'
  | 'main/summed'
  | 'worker/job-received'
  | 'worker/weights-copied'
  | 'worker/forward'
  | 'worker/loss-gradient-received'
  | 'worker/backward'
  | 'worker/gradients-written';

/** When a phase ended. */
export interface PhaseMark {
  readonly phase: StepPhase;
  /** Milliseconds since the epoch (`performance.timeOrigin + performance.now()`: comparable across threads). */
  readonly at: number;
  /** This thread's CPU time so far in milliseconds (`/proc/thread-self/schedstat`); NaN where unavailable. */
  readonly cpu: number;
}

/** Collects {@link PhaseMark}s while enabled. */
export class PhaseClock {
  private marks: PhaseMark[] = [];

  /** @param enabled - record marks (`false`: {@link PhaseClock.mark} does nothing) */
  constructor(readonly enabled: boolean) {}

  /** Notes that `phase` ended now. */
  mark(phase: StepPhase): void {
    if (this.enabled) this.marks.push({ phase, at: performance.timeOrigin + performance.now(), cpu: threadCpuMs() });
  }

  /** The marks so far, oldest first; the clock starts empty again. */
  take(): PhaseMark[] {
    const taken = this.marks;
    this.marks = [];
    return taken;
  }
}

// Opened once per thread (each worker thread has its own copy of this module): `thread-self` names
// the thread that opens it.
let schedstat: number | null | undefined;
const scratch = Buffer.alloc(96);

/** The calling thread's CPU time in milliseconds, NaN where the kernel does not tell. */
function threadCpuMs(): number {
  if (schedstat === undefined) {
    try {
      schedstat = openSync('/proc/thread-self/schedstat', 'r');
    } catch {
      schedstat = null;
    }
  }
  if (schedstat === null) return NaN;
  const n = readSync(schedstat, scratch, 0, scratch.length, 0);
  // "<ns on cpu> <ns waiting> <slices>"
  return Number(scratch.toString('latin1', 0, n).split(' ')[0]) / 1e6;
}
