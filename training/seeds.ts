/** Seed derivation shared by the trainer and validation. */

/** A 32-bit hash of (seed, epoch, batch): independent streams per batch, reproducible on resume. */
export function mixSeed(seed: number, epoch: number, batch: number): number {
  let h = seed >>> 0;
  for (const v of [epoch, batch]) {
    h = Math.imul(h ^ (v >>> 0), 0x9e3779b1) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x85ebca77) >>> 0;
    h = (h ^ (h >>> 13)) >>> 0;
  }
  return h;
}
