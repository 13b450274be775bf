import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chooseOpenBlasCore, coreTypeForFlags, cpuFlags } from './openblas-core.js';
import { OPENBLAS_CANDIDATES } from './openblas.js';

describe('OpenBLAS core choice', () => {
  it('maps instruction sets to the best OpenBLAS sgemm kernels, and nothing without AVX', () => {
    const flags = (...f: string[]) => new Set(['sse4_2', ...f]);
    assert.equal(coreTypeForFlags(flags('avx', 'avx2', 'fma', 'avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd')), 'SkylakeX');
    assert.equal(coreTypeForFlags(flags('avx', 'avx2', 'fma', 'avx512f')), 'Haswell', 'AVX-512 foundation alone is not enough for the SkylakeX kernels');
    assert.equal(coreTypeForFlags(flags('avx', 'avx2', 'fma')), 'Haswell');
    assert.equal(coreTypeForFlags(flags('avx', 'avx2')), 'Sandybridge', 'AVX2 without FMA');
    assert.equal(coreTypeForFlags(flags()), undefined);
  });

  it('reads the flags line of /proc/cpuinfo text', () => {
    const text = 'processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse4_2 avx avx2 fma\nbugs\t\t: spectre_v1\n';
    assert.deepEqual([...cpuFlags(text)], ['fpu', 'sse4_2', 'avx', 'avx2', 'fma']);
    assert.equal(cpuFlags('processor : 0\n').size, 0);
  });

  it('keeps a value the user set and otherwise sets the one the CPU supports', () => {
    const mine: NodeJS.ProcessEnv = { OPENBLAS_CORETYPE: 'Zen' };
    assert.equal(chooseOpenBlasCore(mine), 'Zen');
    assert.equal(mine.OPENBLAS_CORETYPE, 'Zen');
    const fresh: NodeJS.ProcessEnv = {};
    const chosen = chooseOpenBlasCore(fresh);
    if (process.platform === 'linux' && process.arch === 'x64' && existsSync('/proc/cpuinfo')) {
      assert.equal(chosen, coreTypeForFlags(cpuFlags(readFileSync('/proc/cpuinfo', 'utf8'))));
    }
    assert.equal(fresh.OPENBLAS_CORETYPE, chosen);
  });

  const library = OPENBLAS_CANDIDATES.find((p) => existsSync(p));
  const expected = existsSync('/proc/cpuinfo') && process.arch === 'x64' ? coreTypeForFlags(cpuFlags(readFileSync('/proc/cpuinfo', 'utf8'))) : undefined;
  const why = library === undefined ? 'no OpenBLAS installed' : expected === undefined ? 'no x86-64 /proc/cpuinfo with AVX: OpenBLAS detects by itself' : false;
  it('the loaded OpenBLAS runs the kernels the flags call for (in a fresh process: OpenBLAS reads the choice once, at load)', { skip: why }, () => {
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE;
    const script = "import { loadOpenBlas } from './encoders/kernels/openblas.ts'; const l = loadOpenBlas(); console.log(l.ok ? l.blas.coreName : l.reason);";
    const core = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, cwd: new URL('../..', import.meta.url), encoding: 'utf8' }).trim();
    assert.equal(core.toLowerCase(), expected!.toLowerCase());
  });
});
