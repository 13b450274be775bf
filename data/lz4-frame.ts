/**
 * LZ4 frame decoding on top of lz4js' block decoder. lz4js 0.2.0's own `decompress` reads a
 * block checksum *before* the block data, while the LZ4 frame format puts it after, so frames
 * with block checksums (as Polars/arrow-rs write them) decode to garbage. This parser follows
 * the frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), uses lz4js
 * only for the blocks themselves, and verifies every checksum and size the frame carries (header
 * checksum always; block checksums, content size and content checksum when the flags say they are
 * present), so a damaged compressed body is an error instead of wrong values.
 */
import * as lz4 from 'lz4js';
import { xxh32 } from './xxhash32.js';

const MAGIC = 0x184d2204;
const BLOCK_SIZES: Readonly<Record<number, number>> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/**
 * Decodes one (or several concatenated) LZ4 frames.
 * @throws Error naming the byte offset for data that is not an LZ4 frame, runs past its end, or
 * fails a checksum or the declared content size.
 */
export function decodeLz4Frames(src: Uint8Array): Uint8Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  let dst: Uint8Array = new Uint8Array(boundOf(src, view));
  let s = 0;
  let d = 0;
  const need = (at: number, bytes: number, what: string): void => {
    if (at + bytes > src.length) throw new Error(`LZ4: expected ${what} at byte ${at}, found the end of the data (${src.length} bytes)`);
  };
  while (s < src.length) {
    need(s, 7, 'a frame header');
    if (view.getUint32(s, true) !== MAGIC) throw new Error(`LZ4: expected frame magic ${hex(MAGIC)} at byte ${s}, found ${hex(view.getUint32(s, true))}`);
    const flags = src[s + 4]!;
    if (flags >> 6 !== 1) throw new Error(`LZ4: expected frame version 01 at byte ${s + 4}, found ${flags >> 6}`);
    const blockChecksum = (flags & 0x10) !== 0;
    const contentSize = (flags & 0x08) !== 0;
    const contentChecksum = (flags & 0x04) !== 0;
    const dictionaryId = (flags & 0x01) !== 0;
    const descriptorEnd = s + 6 + (contentSize ? 8 : 0) + (dictionaryId ? 4 : 0);
    need(descriptorEnd, 1, 'the frame header checksum');
    const headerChecksum = (xxh32(src, 0, s + 4, descriptorEnd) >>> 8) & 0xff;
    if (src[descriptorEnd] !== headerChecksum) {
      throw new Error(`LZ4: frame header checksum mismatch at byte ${descriptorEnd} (expected ${headerChecksum}, found ${src[descriptorEnd]})`);
    }
    const declaredSize = contentSize ? Number(view.getBigUint64(s + 6, true)) : undefined;
    const frameStart = d;
    s = descriptorEnd + 1;
    while (true) {
      need(s, 4, 'a block size or end mark');
      const word = view.getUint32(s, true);
      s += 4;
      if (word === 0) break;
      const size = word & 0x7fffffff;
      need(s, size + (blockChecksum ? 4 : 0), `a block of ${size} bytes${blockChecksum ? ' and its checksum' : ''}`);
      if (blockChecksum) {
        const expected = view.getUint32(s + size, true);
        const found = xxh32(src, 0, s, s + size);
        if (expected !== found) throw new Error(`LZ4: block checksum mismatch at byte ${s + size} (expected ${hex(expected)}, found ${hex(found)})`);
      }
      if (d + 4 * size + 64 > dst.length && (word & 0x80000000) === 0) dst = grow(dst, d + (4 << 20));
      if ((word & 0x80000000) !== 0) {
        if (d + size > dst.length) dst = grow(dst, d + size);
        dst.set(src.subarray(s, s + size), d);
        d += size;
      } else {
        d = lz4.decompressBlock(src, dst, s, size, d);
        // lz4js drops writes past the end of dst silently; only a damaged block gets there.
        if (d > dst.length) throw new Error(`LZ4: the block at byte ${s} decodes past the frame's block size`);
      }
      s += size + (blockChecksum ? 4 : 0);
    }
    if (declaredSize !== undefined && d - frameStart !== declaredSize) {
      throw new Error(`LZ4: frame content size mismatch (the header declares ${declaredSize} bytes, decoded ${d - frameStart})`);
    }
    if (contentChecksum) {
      need(s, 4, 'the content checksum');
      const expected = view.getUint32(s, true);
      const found = xxh32(dst, 0, frameStart, d);
      if (expected !== found) throw new Error(`LZ4: content checksum mismatch at byte ${s} (expected ${hex(expected)}, found ${hex(found)})`);
      s += 4;
    }
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
