/**
 * Chooses and starts the TensorFlow.js backend: tfjs-node (`tensorflow`) where it installed, else
 * WebAssembly (`wasm`), else plain JavaScript (`cpu`). The choice is logged once on stderr.
 *
 * tfjs-node is an optional dependency: its install downloads libtensorflow, which fails on machines
 * without internet access, and npm then drops it. The wasm backend lacks `UnsortedSegmentSum`, the
 * gradient of `tf.gather` (tfjs#8082), so embedding lookups could not train there; it is registered
 * here in JavaScript.
 *
 * On wasm two more replacements are installed (encoders/kernels/): copy-avoiding `Slice`/`SplitV`/
 * `Unpack`/`Identity` always (the stock `Slice` copies its whole input per call, which makes any
 * per-time-step split quadratic in sequence length), and OpenBLAS matrix products when the library
 * loads, else the same products on a WebAssembly SIMD sgemm (`MELES_SIMD_GEMM=0` skips that
 * fallback; `MELES_NATIVE_KERNELS=0` or `nativeKernels: false` keeps the stock wasm products).
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { enableHeapKernels, enableNativeKernels } from './kernels/native-kernels.js';
import { installTransposingMatMul } from './kernels/wasm-transposed-matmul.js';
import { registerUnsortedSegmentSumForWasm } from './kernels/wasm-unsorted-segment-sum.js';

/** Backends meles can run on, fastest first. */
export const BACKENDS = ['tensorflow', 'wasm', 'cpu'] as const;

/** A backend name accepted by {@link initBackend}. */
export type BackendName = (typeof BACKENDS)[number];

let started: Promise<BackendName> | undefined;
let startedWith: BackendName | 'auto' | undefined;

/** Options of {@link initBackend}. */
export interface InitBackendOptions {
  /** Do not log the chosen backend. @defaultValue `false` (also quiet when `MELES_QUIET=1`) */
  readonly quiet?: boolean;
  /**
   * On wasm, compute matrix products with OpenBLAS when it loads (falls back to the stock kernels).
   * @defaultValue `true` unless `MELES_NATIVE_KERNELS=0`
   */
  readonly nativeKernels?: boolean;
}

/**
 * Starts a backend once per process and returns its name. With no `preferred` backend (or
 * `'auto'`), uses `MELES_BACKEND` if set, else tries tensorflow → wasm → cpu. A preferred backend that
 * cannot start is an error, not a silent fallback, so a benchmark never measures the wrong thing.
 */
export function initBackend(preferred: BackendName | 'auto' = 'auto', options: InitBackendOptions = {}): Promise<BackendName> {
  const wanted = preferred === 'auto' ? envBackend() : preferred;
  if (started && startedWith !== wanted && wanted !== 'auto') {
    return started.then((name) => {
      if (name !== wanted) throw new ConfigError(`Backend \`${name}\` is already running in this process; cannot switch to \`${wanted}\``);
      return name;
    });
  }
  if (!started) {
    startedWith = wanted;
    started = start(wanted).then((name) => {
      const quiet = options.quiet === true || process.env.MELES_QUIET === '1';
      const note = name === 'wasm' ? wasmKernels(options.nativeKernels ?? process.env.MELES_NATIVE_KERNELS !== '0') : '';
      if (!quiet) process.stderr.write(`meles: tfjs backend ${name}${note}\n`);
      return name;
    });
    started.catch(() => {
      started = undefined;
    });
  }
  return started;
}

/** Installs the wasm kernel replacements; returns a note for the log line. */
function wasmKernels(native: boolean): string {
  const status = native ? enableNativeKernels() : { enabled: false, reason: 'MELES_NATIVE_KERNELS=0' };
  if (status.enabled && status.sgemm === 'wasm-simd') return ` (wasm SIMD matMul; OpenBLAS off: ${status.reason})`;
  if (status.enabled) return ` (OpenBLAS matMul: ${status.library}, ${status.core} kernels)`;
  enableHeapKernels();
  const transposing = installTransposingMatMul();
  return ` (wasm matMul${transposing ? ' with materialised transposes' : ''}; OpenBLAS off: ${status.reason})`;
}

function envBackend(): BackendName | 'auto' {
  const value = process.env.MELES_BACKEND;
  if (value === undefined || value === '' || value === 'auto') return 'auto';
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw new ConfigError(`Expected \`MELES_BACKEND\` to be one of \`auto\`, ${BACKENDS.map((b) => `\`${b}\``).join(', ')}, got \`${value}\``);
}

async function start(wanted: BackendName | 'auto'): Promise<BackendName> {
  const order: readonly BackendName[] = wanted === 'auto' ? BACKENDS : [wanted];
  const failures: string[] = [];
  for (const name of order) {
    const reason = await tryStart(name);
    if (reason === undefined) return name;
    failures.push(`${name}: ${reason}`);
  }
  throw new ConfigError(`No tfjs backend could start (${failures.join('; ')})`);
}

/** Returns undefined when the backend started, else why not. */
async function tryStart(name: BackendName): Promise<string | undefined> {
  try {
    if (name === 'tensorflow') {
      // A separate variable keeps TypeScript from resolving a module that is usually absent.
      const tfjsNode = '@tensorflow/tfjs-node';
      await import(tfjsNode);
    } else if (name === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
      registerUnsortedSegmentSumForWasm();
    }
    const ok = await tf.setBackend(name);
    if (!ok) return 'setBackend returned false';
    await tf.ready();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message.split('\n')[0] : String(error);
  }
}
