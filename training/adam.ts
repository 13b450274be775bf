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

/** One optimised variable and its stable (file) name. */
export interface AdamParameter {
  readonly name: string;
  readonly variable: tf.Variable;
}

/**
 * A parameter group (PyTorch's `param_groups`): its variables step with `learningRate × scale`,
 * so a schedule that changes {@link Adam.learningRate} scales every group alike.
 */
export interface AdamGroup {
  /** Name for reports and tests, e.g. `encoder`, `head`. */
  readonly name: string;
  readonly parameters: readonly AdamParameter[];
  /** Multiplier of the base learning rate. Must be > 0. @defaultValue `1` */
  readonly scale?: number;
}

/** Adam over a fixed, ordered list of named variables, optionally in groups with their own learning-rate scale. */
export class Adam {
  /** Base learning rate of the next step (group `g` steps with `learningRate × g.scale`); a schedule sets it between epochs. */
  learningRate: number;
  private step = 0;
  private readonly params: readonly AdamParameter[];
  private readonly scales: Float64Array;
  private readonly groupList: readonly { readonly name: string; readonly scale: number; readonly size: number }[];
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  /** One group (`all`, scale 1) over `params`. */
  constructor(
    params: readonly AdamParameter[],
    learningRate: number,
    private readonly options: AdamOptions = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
    groups?: readonly AdamGroup[],
  ) {
    const list = groups ?? [{ name: 'all', parameters: params }];
    if (groups !== undefined && params.length > 0) throw new ShapeError('Adam: give either `params` or `groups`, not both');
    const names = new Set<string>();
    const all: AdamParameter[] = [];
    const scales: number[] = [];
    for (const g of list) {
      const scale = g.scale ?? 1;
      if (!(scale > 0) || !Number.isFinite(scale)) throw new ShapeError(`Adam group \`${g.name}\`: expected a learning-rate scale > 0, got ${scale}`);
      for (const p of g.parameters) {
        if (names.has(p.name)) throw new ShapeError(`Adam: parameter \`${p.name}\` appears twice`);
        names.add(p.name);
        all.push(p);
        scales.push(scale);
      }
    }
    this.params = all;
    this.scales = Float64Array.from(scales);
    this.groupList = list.map((g) => ({ name: g.name, scale: g.scale ?? 1, size: g.parameters.length }));
    this.learningRate = learningRate;
    this.m = all.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
    this.v = all.map((p) => tf.tidy(() => tf.variable(tf.zerosLike(p.variable), false)));
  }

  /** Adam over parameter groups, each stepping with `learningRate × scale`. */
  static withGroups(groups: readonly AdamGroup[], learningRate: number, options?: AdamOptions): Adam {
    return new Adam([], learningRate, options, groups);
  }

  /** Each group's current learning rate (`learningRate × scale`) and number of variables. */
  groupLearningRates(): { readonly name: string; readonly learningRate: number; readonly parameters: number }[] {
    return this.groupList.map((g) => ({ name: g.name, learningRate: this.learningRate * g.scale, parameters: g.size }));
  }

  /** Names of the optimised parameters, in order. */
  parameterNames(): string[] {
    return this.params.map((p) => p.name);
  }

  /** Applies one update; `grads` maps variable names (tfjs' global names) to gradients. */
  apply(grads: tf.NamedTensorMap): void {
    this.step++;
    const { beta1, beta2, epsilon } = this.options;
    const c1 = 1 - Math.pow(beta1, this.step);
    const c2 = 1 - Math.pow(beta2, this.step);
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const lr = this.learningRate * this.scales[i]!;
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
