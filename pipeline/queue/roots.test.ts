import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../errors.js';
import { confinePath } from './roots.js';

describe('confinePath', () => {
  it('accepts paths inside the roots and refuses escapes, including through symlinks', async () => {
    const root = await mkdtemp(join(tmpdir(), 'meles-roots-'));
    try {
      const roots = { dataRoot: join(root, 'data'), outRoot: join(root, 'out') };
      await mkdir(roots.dataRoot, { recursive: true });
      await mkdir(roots.outRoot, { recursive: true });
      assert.equal(await confinePath('data', join(roots.dataRoot, 'a.arrow'), 'read', roots), join(roots.dataRoot, 'a.arrow'));
      assert.equal(await confinePath('data', 'sub/a.arrow', 'read', roots), join(roots.dataRoot, 'sub/a.arrow'));
      assert.equal(await confinePath('model', join(roots.outRoot, 'run/train'), 'read', roots), join(roots.outRoot, 'run/train'));
      await assert.rejects(confinePath('data', '../../etc/passwd', 'read', roots), (e: unknown) => e instanceof ConfigError && /Refusing `data` path "\.\.\/\.\.\/etc\/passwd"/.test(e.message));
      await assert.rejects(confinePath('out', join(roots.dataRoot, 'x'), 'write', roots), /outside --out-root/);
      await assert.rejects(confinePath('out', `${roots.outRoot}-evil/x`, 'write', roots), /outside --out-root/);
      // A symlink inside the root that points outside is an escape too, even for a path below it.
      await symlink('/tmp', join(roots.outRoot, 'link'));
      await assert.rejects(confinePath('out', join(roots.outRoot, 'link', 'new-dir', 'file'), 'write', roots), /outside --out-root/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
