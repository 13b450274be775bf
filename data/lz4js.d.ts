/** Type declarations for `lz4js` 0.2.0, which ships none. Only the frame API meles uses. */
declare module 'lz4js' {
  /** Decompresses one LZ4 frame; `maxSize` (the uncompressed size) avoids a sizing pass. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Compresses `src` into one LZ4 frame. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
}
