/**
 * Named float32 arrays in one binary file plus a JSON manifest (name, shape, byte offset), the
 * layout of tfjs' `weights.bin` + `weightsManifest`. Used for model weights and optimizer state.
 * Bytes are little-endian float32, which is what every platform Node runs on stores natively.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { writeAtomically } from './atomic-write.js';
import { DataFormatError } from '../errors.js';

/** One named array. */
export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Manifest entry of one array. */
export interface ManifestEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** Byte offset in the binary file. */
  readonly offset: number;
}

/** Writes `arrays` to `binPath` (atomically) and returns the manifest to store beside it. */
export async function writeTensorFile(binPath: string, arrays: readonly NamedArray[]): Promise<ManifestEntry[]> {
  const manifest: ManifestEntry[] = [];
  let offset = 0;
  for (const a of arrays) {
    manifest.push({ name: a.name, shape: [...a.shape], offset });
    offset += a.data.byteLength;
  }
  const bytes = new Uint8Array(offset);
  arrays.forEach((a, i) => bytes.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), manifest[i]!.offset));
  await writeAtomically(binPath, (tmp) => writeFile(tmp, bytes));
  return manifest;
}

/** Reads the arrays a manifest describes from `binPath`; checks sizes so a truncated file is an error. */
export async function readTensorFile(binPath: string, manifest: unknown): Promise<Map<string, Float32Array>> {
  const bytes = await readFile(binPath);
  if (!Array.isArray(manifest)) throw new DataFormatError(`${binPath}: expected a weights manifest array, got ${typeof manifest}`);
  const out = new Map<string, Float32Array>();
  for (const entry of manifest as unknown[]) {
    const e = entry as Partial<ManifestEntry>;
    if (typeof e.name !== 'string' || !Array.isArray(e.shape) || typeof e.offset !== 'number') {
      throw new DataFormatError(`${binPath}: bad manifest entry ${JSON.stringify(entry)}; expected {name, shape, offset}`);
    }
    const count = e.shape.reduce((a: number, b: number) => a * b, 1);
    const end = e.offset + count * 4;
    if (end > bytes.byteLength) {
      throw new DataFormatError(`${binPath}: array \`${e.name}\` needs bytes ${e.offset}..${end}, but the file has ${bytes.byteLength}`);
    }
    // Copy out: Buffer slices may be unaligned for a Float32Array view.
    out.set(e.name, new Float32Array(bytes.buffer.slice(bytes.byteOffset + e.offset, bytes.byteOffset + end)));
  }
  return out;
}
