/**
 * LZ4 frame decoding on top of lz4js' block decoder. lz4js 0.2.0's own `decompress` reads a
 * block checksum *before* the block data, while the LZ4 frame format puts it after, so frames
 * with block checksums (as Polars/arrow-rs write them) decode to garbage. This parser follows
 * the frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md) and uses lz4js
 * only for the blocks themselves.
 */
import * as lz4 from 'lz4js';

const MAGIC = 0x184d2204;
const BLOCK_SIZES: Readonly<Record<number, number>> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

/** Decodes one (or several concatenated) LZ4 frames. @throws Error for data that is not an LZ4 frame. */
export function decodeLz4Frames(src: Uint8Array): Uint8Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let dst: Uint8Array = new Uint8Array(boundOf(src, view));
  let s = 0;
  let d = 0;
  while (s < src.length) {
    if (view.getUint32(s, true) !== MAGIC) throw new Error(`LZ4: expected frame magic at byte ${s}`);
    const flags = src[s + 4]!;
    const blockChecksum = (flags & 0x10) !== 0;
    const contentSize = (flags & 0x08) !== 0;
    const contentChecksum = (flags & 0x04) !== 0;
    const dictionaryId = (flags & 0x01) !== 0;
    s += 6 + (contentSize ? 8 : 0) + (dictionaryId ? 4 : 0) + 1; // magic, FLG, BD, options, header checksum
    while (true) {
      const word = view.getUint32(s, true);
      s += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      if (s + size > src.length) throw new Error('LZ4: block runs past the end of the data');
      if (d + 4 * size + 64 > dst.length && (word & 0x80000000) === 0) dst = grow(dst, d + (4 << 20));
      if ((word & 0x80000000) !== 0) {
        if (d + size > dst.length) dst = grow(dst, d + size);
        dst.set(src.subarray(s, s + size), d);
        d += size;
      } else {
        d = lz4.decompressBlock(src, dst, s, size, d);
      }
      s += size + (blockChecksum ? 4 : 0);
    }
    if (contentChecksum) s += 4;
  }
  return d === dst.length ? dst : dst.slice(0, d);
}

/** Upper bound of the decoded size: exact for blocks stored raw, the frame's block size otherwise. */
function boundOf(src: Uint8Array, view: DataView): number {
  let total = 0;
  let s = 0;
  while (s + 7 <= src.length && view.getUint32(s, true) === MAGIC) {
    const flags = src[s + 4]!;
    const maxBlock = BLOCK_SIZES[(src[s + 5]! >> 4) & 7] ?? 4 << 20;
    s += 6 + ((flags & 0x08) !== 0 ? 8 : 0) + ((flags & 0x01) !== 0 ? 4 : 0) + 1;
    while (s + 4 <= src.length) {
      const word = view.getUint32(s, true);
      s += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      total += (word & 0x80000000) !== 0 ? size : maxBlock;
      s += size + ((flags & 0x10) !== 0 ? 4 : 0);
    }
    if ((flags & 0x04) !== 0) s += 4;
  }
  return total;
}

function grow(buffer: Uint8Array, size: number): Uint8Array {
  const grown = new Uint8Array(Math.max(size, buffer.length * 2));
  grown.set(buffer);
  return grown;
}
