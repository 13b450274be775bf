/**
 * Registers the IPC body codecs apache-arrow 21 needs to read compressed files: pyarrow's
 * Feather V2 writes LZ4_FRAME bodies by default and Polars can write LZ4 or ZSTD. Without a
 * registered codec Arrow throws "Record batch is compressed but codec not found".
 * Importing this module registers them once; importing it again does nothing.
 *
 * Decoding is checked: LZ4 frames verify their checksums (lz4-frame.ts), and every decoded buffer
 * must have the uncompressed length the IPC buffer declares, because fzstd (which ignores the
 * optional ZSTD checksum) can return a short or long buffer for a damaged body instead of failing,
 * and Arrow would then read wrong values silently. The errors thrown here are plain Errors; the
 * reader (arrow-source.ts) turns them into DataFormatErrors that name the file.
 */
import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as zstdDecompress } from 'fzstd';
import { decodeLz4Frames, encodeLz4Frame } from './lz4-frame.js';

/** Bytes of the little-endian int64 uncompressed length that precedes each compressed IPC buffer. */
const LENGTH_PREFIX = 8;

/**
 * Registers LZ4_FRAME (decode with our frame parser over lz4js blocks, encode as lz4js blocks in a
 * frame with content and block checksums, lz4-frame.ts) and ZSTD (decode only, via fzstd) in
 * Arrow's `compressionRegistry`. Idempotent: codecs that are already present are kept, so a
 * caller who registered a faster native codec first is not overridden.
 */
export function registerArrowCodecs(): void {
  if (compressionRegistry.get(CompressionType.LZ4_FRAME) === null) {
    compressionRegistry.set(CompressionType.LZ4_FRAME, {
      decode: (data) => checkedDecode('LZ4', data, decodeLz4Frames),
      // With content and block checksums, so a damaged body of a file we wrote fails in any reader.
      encode: (data) => encodeLz4Frame(data),
    });
  }
  if (compressionRegistry.get(CompressionType.ZSTD) === null) {
    // fzstd only decodes; writing ZSTD bodies is not supported (we write uncompressed or LZ4).
    compressionRegistry.set(CompressionType.ZSTD, { decode: (data) => checkedDecode('ZSTD', data, zstdDecompress) });
  }
}

/**
 * Decodes one compressed IPC buffer and checks the result against the declared length.
 * @throws Error `ZSTD body: …` for a body the codec rejects or that decodes to the wrong length.
 */
export function checkedDecode(codec: string, data: Uint8Array, decode: (data: Uint8Array) => Uint8Array): Uint8Array {
  let out: Uint8Array;
  try {
    out = decode(data);
  } catch (error) {
    throw new Error(`${codec} body of ${data.length} bytes cannot be decoded: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const declared = declaredLength(data);
  if (declared !== undefined && declared !== BigInt(out.length)) {
    throw new Error(`${codec} body of ${data.length} bytes: expected ${declared} decompressed bytes as the IPC buffer declares, found ${out.length}`);
  }
  return out;
}

/**
 * The uncompressed length the IPC format writes in the 8 bytes before a compressed buffer.
 * apache-arrow 21 hands the codec a view that starts right after that prefix in the message
 * body (`ipc/reader` `_decompressBuffers`), so the prefix is still readable through the view's
 * ArrayBuffer. `undefined` when the view does not leave room for it (not called by Arrow's reader).
 */
function declaredLength(data: Uint8Array): bigint | undefined {
  if (data.byteOffset < LENGTH_PREFIX) return undefined;
  return new DataView(data.buffer, data.byteOffset - LENGTH_PREFIX, LENGTH_PREFIX).getBigInt64(0, true);
}

registerArrowCodecs();
