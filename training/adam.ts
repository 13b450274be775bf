/**
 * Adam (Kingma & Ba), written out instead of `tf.train.adam` so that the learning rate can follow
 * a schedule and the moments can be checkpointed by parameter name and restored in another
 * process (tfjs' optimizer state is keyed by global variable names, which differ between processes).
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../errors.js';
import type { NamedArray } from '../data/tensor-file.js';

/** Adam hyperparameters (PyTorch defaults). */
export interface AdamOptions {
  /** @defaultValue `0.9` */
  readonly beta1: number;
  /** @defaultValue `0.999` */
  readonly beta2: number;
  /** @defaultValue `1e-8` */
  readonly epsilon: number;
}

/** Adam over a fixed, ordered list of named variables. */
export class Adam {
  /** Learning rate of the next step; a schedule sets it between epochs. */
  learningRate: number;
  private step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(
    private readonly params: readonly { readonly name: string; readonly variable: tf.Variable }[],
    learningRate: number,
    private readonly options: AdamOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  ) {
    this.learningRate = learningRate;
    this.m = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
    this.v = params.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
  }

  /** Applies one update; `grads` maps variable names (tfjs' global names) to gradients. */
  apply(grads: tf.NamedTensorMap): void {
    this.step++;
    const { beta1, beta2, epsilon } = this.options;
    const c1 = 1 - Math.pow(beta1, this.step);
    const c2 = 1 - Math.pow(beta2, this.step);
    const lr = this.learningRate;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const g = grads[p.variable.name];
        if (g === undefined) return;
        const m = tf.add(tf.mul(this.m[i]!, beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i]!, beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i]!.assign(m);
        this.v[i]!.assign(v);
        const update = tf.div(tf.mul(m, lr / c1), tf.add(tf.sqrt(tf.div(v, c2)), epsilon));
        p.variable.assign(tf.sub(p.variable, update));
      });
    });
  }

  /** The optimizer state as named arrays (`step` is returned separately). */
  state(): { step: number; arrays: NamedArray[] } {
    const arrays = this.params.flatMap((p, i) => [
      { name: `${p.name}/m`, shape: p.variable.shape, data: this.m[i]!.dataSync() as Float32Array },
      { name: `${p.name}/v`, shape: p.variable.shape, data: this.v[i]!.dataSync() as Float32Array },
    ]);
    return { step: this.step, arrays };
  }

  /** Restores a state saved by {@link Adam.state}. */
  restore(step: number, arrays: ReadonlyMap<string, Float32Array>): void {
    this.params.forEach((p, i) => {
      for (const [suffix, target] of [['m', this.m[i]!], ['v', this.v[i]!]] as const) {
        const data = arrays.get(`${p.name}/${suffix}`);
        if (data === undefined || data.length !== target.size) throw new ShapeError(`Optimizer state lacks \`${p.name}/${suffix}\` of ${target.size} values`);
        tf.tidy(() => target.assign(tf.tensor(data, target.shape)));
      }
    });
    this.step = step;
  }

  /** Frees the moment variables. */
  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
