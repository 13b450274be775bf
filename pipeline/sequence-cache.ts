/**
 * Keeps the last value loaded under a key, for the embed-shard stage: a worker child (or the
 * in-process runner) that embeds several shards of one transactions file then reads and groups
 * the file once instead of once per shard. Reading is per-shard work that grows with the shard
 * count (about 0.4 s of CPU per shard for a 3.2M-event file, next to ~2 s of embedding for a
 * quarter of it), and more shards than workers are what balance the load.
 *
 * One entry only, dropped after `idleMs` without use, so an idle worker does not keep a large
 * file in memory; a failed load is not kept.
 */
import { expectInteger } from '../options.js';

/** A one-entry cache of promises with an idle timeout; see the module comment. */
export class LastValueCache<T> {
  readonly #idleMs: number;
  #entry: { readonly key: string; readonly value: Promise<T> } | null = null;
  #timer: NodeJS.Timeout | null = null;

  /** @param idleMs Drop the entry after this many ms without a `get`. Minimum: `1`. */
  constructor(idleMs: number) {
    this.#idleMs = expectInteger('idleMs', idleMs, 1);
  }

  /** The value for `key`: the kept one when the key matches, else `load()` (which replaces it). */
  get(key: string, load: () => Promise<T>): Promise<T> {
    this.#touch();
    if (this.#entry?.key === key) return this.#entry.value;
    // Release the old value before loading the new one, so two large values never coexist here.
    this.#entry = null;
    const value = load();
    const entry = { key, value };
    this.#entry = entry;
    value.catch(() => {
      if (this.#entry === entry) this.#entry = null;
    });
    return value;
  }

  /** The key currently kept, or `null`. */
  get key(): string | null {
    return this.#entry?.key ?? null;
  }

  /** Drops the entry now. */
  clear(): void {
    this.#entry = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #touch(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.clear(), this.#idleMs);
    // The timer only frees memory; it must not keep a finished process alive.
    this.#timer.unref();
  }
}
