/**
 * Ordered, idempotent shutdown. `Closer` runs a list of named close steps in order, each in its
 * own try/catch so one failure does not skip the rest, and stores its promise so a second
 * `close()` (a second Ctrl-C, or SIGTERM after SIGINT) waits for the same shutdown.
 */

/** One step of a shutdown, e.g. closing a worker. */
export interface CloseStep {
  /** Shown when the step fails, e.g. `stage worker`. */
  readonly name: string;
  /** Closes the resource. */
  readonly close: () => Promise<void>;
  /**
   * Give up waiting after this many ms and go on with the next step (reported through `onError`).
   * BullMQ's `Worker.close()` can wait forever on a blocking connection stuck in ioredis'
   * reconnecting state (bullmq#4656), which would keep a stopping worker alive indefinitely.
   * @defaultValue no limit
   */
  readonly timeoutMs?: number;
}

/** Thrown (to `onError`) for a close step that did not finish within its `timeoutMs`. */
export class CloseTimeoutError extends Error {
  constructor(step: string, timeoutMs: number) {
    super(`${step} did not close within ${timeoutMs} ms; going on without it`);
    this.name = 'CloseTimeoutError';
  }
}

/** Runs close steps once, in order; see the module comment. */
export class Closer {
  private closing: Promise<void> | undefined;

  constructor(
    private readonly steps: readonly CloseStep[],
    private readonly onError: (step: string, error: unknown) => void = () => {},
  ) {}

  /** Closes everything; safe to call any number of times. */
  close(): Promise<void> {
    this.closing ??= this.run();
    return this.closing;
  }

  private async run(): Promise<void> {
    for (const step of this.steps) {
      try {
        await withTimeout(step);
      } catch (error) {
        this.onError(step.name, error);
      }
    }
  }
}

async function withTimeout(step: CloseStep): Promise<void> {
  if (step.timeoutMs === undefined) return step.close();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CloseTimeoutError(step.name, step.timeoutMs!)), step.timeoutMs);
  });
  try {
    await Promise.race([step.close(), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Calls `close` on the first SIGINT or SIGTERM and resolves after it finishes; a second signal
 * while closing forces `onForce` (e.g. exit). Returns a function that removes the handlers.
 */
export function closeOnSignals(close: () => Promise<void>, onForce: () => void): () => void {
  let signalled = false;
  const handler = (): void => {
    if (signalled) {
      onForce();
      return;
    }
    signalled = true;
    void close();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
