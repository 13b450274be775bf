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
  /** First and second moments, one float32 array per parameter (plain arrays: see {@link Adam.apply}). */
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];

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
    this.m = all.map((p) => new Float32Array(p.variable.size));
    this.v = all.map((p) => new Float32Array(p.variable.size));
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

  /**
   * Applies one update; `grads` maps variable names (tfjs' global names) to gradients.
   *
   * Written as loops over float32 arrays with every operation rounded to float32 (`Math.fround`),
   * in the order the tfjs ops ran (m·β₁ + g·(1−β₁); v·β₂ + g²·(1−β₂); m·(lr/c₁) / (√(v/c₂) + ε);
   * w − update), so the weights are bit for bit those of the op-by-op version: that one was ~110
   * tfjs ops per step (3 ms at hidden 64, on the training thread while the gradient workers wait, issue 16).
   */
  apply(grads: tf.NamedTensorMap): void {
    this.step++;
    const f = Math.fround;
    const { beta1, beta2, epsilon } = this.options;
    const b1 = f(beta1);
    const b2 = f(beta2);
    const rest1 = f(1 - beta1);
    const rest2 = f(1 - beta2);
    const eps = f(epsilon);
    const c1 = 1 - Math.pow(beta1, this.step);
    const c2 = f(1 - Math.pow(beta2, this.step));
    this.params.forEach((p, i) => {
      const g = grads[p.variable.name];
      if (g === undefined) return;
      const scale = f((this.learningRate * this.scales[i]!) / c1);
      const gv = g.dataSync() as Float32Array;
      // A copy: on the cpu backend dataSync returns the variable's own storage.
      const w = Float32Array.from(p.variable.dataSync() as Float32Array);
      const m = this.m[i]!;
      const v = this.v[i]!;
      for (let k = 0; k < w.length; k++) {
        const gk = gv[k]!;
        const mk = f(f(m[k]! * b1) + f(gk * rest1));
        const vk = f(f(v[k]! * b2) + f(f(gk * gk) * rest2));
        m[k] = mk;
        v[k] = vk;
        w[k] = f(w[k]! - f(f(mk * scale) / f(f(Math.sqrt(f(vk / c2))) + eps)));
      }
      tf.tidy(() => p.variable.assign(tf.tensor(w, p.variable.shape, 'float32')));
    });
  }

  /** The optimizer state as named arrays (`step` is returned separately). */
  state(): { step: number; arrays: NamedArray[] } {
    const arrays = this.params.flatMap((p, i) => [
      { name: `${p.name}/m`, shape: p.variable.shape, data: this.m[i]!.slice() },
      { name: `${p.name}/v`, shape: p.variable.shape, data: this.v[i]!.slice() },
    ]);
    return { step: this.step, arrays };
  }

  /** Restores a state saved by {@link Adam.state}. */
  restore(step: number, arrays: ReadonlyMap<string, Float32Array>): void {
    this.params.forEach((p, i) => {
      for (const [suffix, target] of [['m', this.m[i]!], ['v', this.v[i]!]] as const) {
        const data = arrays.get(`${p.name}/${suffix}`);
        if (data === undefined || data.length !== target.length) throw new ShapeError(`Optimizer state lacks \`${p.name}/${suffix}\` of ${target.length} values`);
        target.set(data);
      }
    });
    this.step = step;
  }

  /** Frees the optimizer's state (plain arrays now; kept so callers need not know). */
  dispose(): void {
    for (const a of [...this.m, ...this.v]) a.fill(0);
  }
}
