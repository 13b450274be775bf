/**
 * Named model parameters. Initial values are drawn from the project's seeded {@link Rng} in
 * JavaScript, not from tfjs random ops, so the same seed gives bit-identical initial weights on every
 * backend. tfjs keeps one global registry of variable names, so each store prefixes its own unique
 * id; saved files use the local names only.
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../data/random.js';
import { ShapeError } from '../errors.js';

let storeCounter = 0;

/** One parameter: its local (file) name and its variable. */
export interface NamedParameter {
  /** Name inside the model, e.g. `gru/l0/fwd/wh`; stable across processes. */
  readonly name: string;
  /** The variable (trainable unless it is running statistics). */
  readonly variable: tf.Variable;
}

/** Holds every parameter of one model; dispose it to free them. */
export class ParameterStore {
  private readonly prefix = `meles${++storeCounter}`;
  private readonly params = new Map<string, NamedParameter>();

  /** Creates a trainable parameter with values from `init` (row-major). */
  add(name: string, shape: readonly number[], init: Float32Array, trainable = true): tf.Variable {
    if (this.params.has(name)) throw new ShapeError(`Parameter \`${name}\` defined twice`);
    const size = shape.reduce((a, b) => a * b, 1);
    if (init.length !== size) throw new ShapeError(`Parameter \`${name}\`: expected ${size} values for shape [${shape.join(', ')}], got ${init.length}`);
    // Inside tidy: tf.variable copies its initial value, which must not outlive this call.
    const variable = tf.tidy(() => tf.variable(tf.tensor(init, [...shape], 'float32'), trainable, `${this.prefix}/${name}`));
    this.params.set(name, { name, variable });
    return variable;
  }

  /** All parameters in creation order (the order of the weights file). */
  all(): NamedParameter[] {
    return [...this.params.values()];
  }

  /** The trainable variables, for the optimizer. */
  trainable(): tf.Variable[] {
    return this.all().filter((p) => p.variable.trainable).map((p) => p.variable);
  }

  /** Overwrites every parameter from `values` (name → row-major data); names and sizes must match exactly. */
  assign(values: ReadonlyMap<string, Float32Array>): void {
    for (const { name, variable } of this.params.values()) {
      const data = values.get(name);
      if (data === undefined) throw new ShapeError(`Weights have no parameter \`${name}\``);
      if (data.length !== variable.size) throw new ShapeError(`Parameter \`${name}\`: expected ${variable.size} values, got ${data.length}`);
      tf.tidy(() => variable.assign(tf.tensor(data, variable.shape, 'float32')));
    }
    for (const name of values.keys()) {
      if (!this.params.has(name)) throw new ShapeError(`Weights have an unknown parameter \`${name}\``);
    }
  }

  /** Frees every variable. */
  dispose(): void {
    for (const { variable } of this.params.values()) variable.dispose();
    this.params.clear();
  }
}

/** Uniform values in [-bound, bound], PyTorch's default for linear and recurrent weights (bound = 1/√fanIn). */
export function uniformInit(rng: Rng, size: number, bound: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng.next() * 2 - 1) * bound;
  return out;
}

/** Normal values with standard deviation `std`. */
export function normalInit(rng: Rng, size: number, std: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

/** A constant fill. */
export function constantInit(size: number, value: number): Float32Array {
  return new Float32Array(size).fill(value);
}
