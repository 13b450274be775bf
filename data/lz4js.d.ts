/** Type declarations for `lz4js` 0.2.0, which ships none. Only the frame API meles uses. */
declare module 'lz4js' {
  /** Decompresses one LZ4 frame; `maxSize` (the uncompressed size) avoids a sizing pass. */
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
  /** Decompresses one LZ4 block from `src[sIndex .. sIndex + sLength)` into `dst` at `dIndex`; returns the new end of `dst`. */
  export function decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number;
  /** Compresses `src` into one LZ4 frame. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
}
