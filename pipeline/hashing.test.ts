import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { hashFile } from './hashing.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('hashFile', () => {
  it('sees a same-size rewrite with restored mtime, both right away and after the file settled', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meles-hash-'));
    try {
      const path = join(dir, 'data.bin');
      await writeFile(path, 'aaaa');
      assert.equal(await hashFile(path), sha('aaaa'));
      // Just written: not remembered, so an immediate same-size rewrite is seen.
      await writeFile(path, 'bbbb');
      assert.equal(await hashFile(path), sha('bbbb'));
      await sleep(2100);
      assert.equal(await hashFile(path), sha('bbbb')); // now remembered
      const { atime, mtime } = await stat(path);
      await writeFile(path, 'cccc');
      await utimes(path, atime, mtime); // same size and mtime; only ctime tells the change
      assert.equal(await hashFile(path), sha('cccc'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
