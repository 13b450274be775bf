/**
 * Picks OpenBLAS's CPU kernels from the CPU's instruction sets when OpenBLAS would guess.
 *
 * A DYNAMIC_ARCH OpenBLAS chooses its kernels by CPU family and model number. A CPU newer than
 * the installed OpenBLAS (Debian 12 ships 0.3.21) is unknown to it, and it falls back to
 * `Prescott`, the SSE3 kernels: on this project's machines (Xeon family 6, model 207, with
 * AVX-512) every sgemm then ran at about a quarter of its speed, for meles and PyTorch alike
 * (`npx tsx scripts/bench-threads.ts --steps 5`: meles 1 thread 3180 ms per train step with
 * Prescott, 752 ms with SkylakeX). OpenBLAS reads `OPENBLAS_CORETYPE` once, when it is loaded, so
 * the choice is made from the instruction sets the CPU reports, before the first load. A value the
 * user set is kept.
 */
import { readFileSync } from 'node:fs';

/** The OpenBLAS core for a CPU with these `/proc/cpuinfo` flags, or `undefined` to let OpenBLAS decide. */
export function coreTypeForFlags(flags: ReadonlySet<string>): string | undefined {
  // The sgemm kernels of OpenBLAS's SkylakeX, Cooperlake and SapphireRapids targets are the same
  // AVX-512 code; Haswell's are the AVX2 + FMA ones (also used for AMD Zen).
  if (['avx512f', 'avx512bw', 'avx512vl', 'avx512dq', 'avx512cd'].every((f) => flags.has(f))) return 'SkylakeX';
  if (flags.has('avx2') && flags.has('fma')) return 'Haswell';
  if (flags.has('avx')) return 'Sandybridge';
  return undefined;
}

/** The CPU flags of the first processor in `/proc/cpuinfo` text. */
export function cpuFlags(cpuinfo: string): Set<string> {
  const line = /^flags\s*:(.*)$/m.exec(cpuinfo);
  return new Set(line === null ? [] : line[1]!.trim().split(/\s+/));
}

/**
 * Sets `OPENBLAS_CORETYPE` in `env` from the CPU's flags unless it is set already; returns the
 * value OpenBLAS will see (`undefined`: OpenBLAS detects by itself, e.g. off Linux x86-64).
 * @param env - the environment to change. @defaultValue `process.env`
 */
export function chooseOpenBlasCore(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.OPENBLAS_CORETYPE !== undefined && env.OPENBLAS_CORETYPE !== '') return env.OPENBLAS_CORETYPE;
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  let cpuinfo: string;
  try {
    cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return undefined; // no /proc (a sandbox): OpenBLAS's own detection
  }
  const core = coreTypeForFlags(cpuFlags(cpuinfo));
  if (core !== undefined) env.OPENBLAS_CORETYPE = core;
  return core;
}
