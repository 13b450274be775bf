/**
 * Strict UTF-8 for CSV text. csv-parse (and `Buffer.toString`) decode invalid UTF-8 to U+FFFD
 * without a word, so a cp1251 class value or id would silently become another one. A fatal
 * decoder beside the lenient one notes that the bytes were not UTF-8; the reader then refuses the
 * first field holding U+FFFD, naming file, line and column (a U+FFFD in a valid file is kept).
 * Used by `meles import-csv` (data/csv-import.ts) and the label CSV reader (data/label-file.ts).
 */
import { Transform } from 'node:stream';

/** What the refusal says was expected (the caller adds file, line, column and the value). */
export const EXPECTED_UTF8 = 'UTF-8 text (the file has bytes that are not UTF-8, shown as U+FFFD; re-encode it, e.g. iconv -f cp1251 -t utf-8)';

/** Watches the bytes of one file, chunk by chunk, for anything that is not UTF-8. */
export class Utf8Watch {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private seen = false;

  /** True once a byte sequence that is not UTF-8 was fed (a truncated one at the end counts after {@link Utf8Watch.end}). */
  get invalid(): boolean {
    return this.seen;
  }

  /** Feeds the next chunk; a multi-byte character may be split across chunks. */
  feed(chunk: Uint8Array): void {
    if (this.seen) return;
    try {
      this.decoder.decode(chunk, { stream: true });
    } catch {
      this.seen = true;
    }
  }

  /** Ends the input: a multi-byte character left incomplete at the end is invalid too. */
  end(): void {
    if (this.seen) return;
    try {
      this.decoder.decode();
    } catch {
      this.seen = true;
    }
  }

  /** A pass-through stream that feeds every chunk to this watch (and ends it at the end). */
  transform(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, done) => {
        this.feed(chunk);
        done(null, chunk);
      },
      flush: (done) => {
        this.end();
        done();
      },
    });
  }
}

