/**
 * Registers the IPC body codecs apache-arrow 21 needs to read compressed files: pyarrow's
 * Feather V2 writes LZ4_FRAME bodies by default and Polars can write LZ4 or ZSTD. Without a
 * registered codec Arrow throws "Record batch is compressed but codec not found".
 * Importing this module registers them once; importing it again does nothing.
 */
import { CompressionType, compressionRegistry } from 'apache-arrow';
import * as lz4 from 'lz4js';
import { decompress as zstdDecompress } from 'fzstd';
import { decodeLz4Frames } from './lz4-frame.js';

/**
 * Registers LZ4_FRAME (decode with our frame parser over lz4js blocks, encode with lz4js) and ZSTD (decode only, via fzstd) in
 * Arrow's `compressionRegistry`. Idempotent: codecs that are already present are kept, so a
 * caller who registered a faster native codec first is not overridden.
 */
export function registerArrowCodecs(): void {
  if (compressionRegistry.get(CompressionType.LZ4_FRAME) === null) {
    compressionRegistry.set(CompressionType.LZ4_FRAME, {
      decode: (data) => decodeLz4Frames(data),
      encode: (data) => toUint8(lz4.compress(data)),
    });
  }
  if (compressionRegistry.get(CompressionType.ZSTD) === null) {
    // fzstd only decodes; writing ZSTD bodies is not supported (we write uncompressed or LZ4).
    compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => zstdDecompress(data) });
  }
}

// lz4js falls back to plain arrays when typed arrays are missing; they never are on Node, but
// Arrow's reader needs a real Uint8Array.
function toUint8(data: Uint8Array | number[]): Uint8Array {
  return data instanceof Uint8Array ? data : Uint8Array.from(data);
}

registerArrowCodecs();
