/**
 * LZ4 frame decoding on top of lz4js' block decoder. lz4js 0.2.0's own `decompress` reads a
 * block checksum *before* the block data, while the LZ4 frame format puts it after, so frames
 * with block checksums (as Polars/arrow-rs write them) decode to garbage. This parser follows
 * the frame format (https://github.com/lz4/lz4/blob/dev/doc/lz4_Frame_format.md), uses lz4js
 * only for the blocks themselves, and verifies every checksum and size the frame carries (header
 * checksum always; block checksums, content size and content checksum when the flags say they are
 * present), so a damaged compressed body is an error instead of wrong values.
 *
 * Encoding ({@link encodeLz4Frame}) takes lz4js' frame, which carries no checksum and no content
 * size, and rewrites it with both checksums and the content size, so any reader (ours, the lz4
 * CLI, arrow-rs, pyarrow) detects a damaged body of a file we wrote.
 */
import * as lz4 from 'lz4js';
import { xxh32 } from './xxhash32.js';

const MAGIC = 0x184d2204;
const BLOCK_SIZES: Readonly<Record<number, number>> = { 4: 64 << 10, 5: 256 << 10, 6: 1 << 20, 7: 4 << 20 };

// Frame descriptor flags (FLG): version 01, block checksums, content size, content checksum.
const FLG_VERSION = 0x40;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;

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

/**
 * Compresses `src` into one LZ4 frame with the content checksum (xxh32 of `src`), a checksum after
 * every block (xxh32 of the block as stored) and the content size, all as the LZ4 frame format
 * specifies. The blocks are lz4js' (4 MiB, linked); only the framing around them is rewritten,
 * since lz4js 0.2.0 writes neither checksums nor the size.
 */
export function encodeLz4Frame(src: Uint8Array): Uint8Array {
  const plain = toUint8(lz4.compress(src));
  const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
  // lz4js writes magic, FLG, BD, header checksum: a 7-byte header, then blocks and a 0 end mark.
  if (view.getUint32(0, true) !== MAGIC || plain[4] !== FLG_VERSION) throw new Error(`LZ4: unexpected frame header from lz4js (FLG ${plain[4]})`);
  const blocks: [start: number, end: number][] = [];
  let s = 7;
  for (let word = view.getUint32(s, true); word !== 0; word = view.getUint32(s, true)) {
    const end = s + 4 + (word & 0x7fffffff);
    blocks.push([s, end]);
    s = end;
  }
  // Header 4 + 2 + 8 + 1, each block plus 4, end mark 4, content checksum 4.
  const out = new Uint8Array(15 + (s - 7) + 4 * blocks.length + 8);
  const outView = new DataView(out.buffer);
  outView.setUint32(0, MAGIC, true);
  out[4] = FLG_VERSION | FLG_BLOCK_CHECKSUM | FLG_CONTENT_SIZE | FLG_CONTENT_CHECKSUM;
  out[5] = plain[5]!;
  outView.setBigUint64(6, BigInt(src.length), true);
  out[14] = (xxh32(out, 0, 4, 14) >>> 8) & 0xff;
  let d = 15;
  for (const [start, end] of blocks) {
    out.set(plain.subarray(start, end), d);
    outView.setUint32(d + (end - start), xxh32(plain, 0, start + 4, end), true);
    d += end - start + 4;
  }
  outView.setUint32(d, 0, true);
  outView.setUint32(d + 4, xxh32(src), true);
  return out;
}

// lz4js falls back to plain arrays when typed arrays are missing; they never are on Node.
function toUint8(data: Uint8Array | number[]): Uint8Array {
  return data instanceof Uint8Array ? data : Uint8Array.from(data);
}
