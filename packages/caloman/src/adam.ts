/**
 * Adam (Kingma & Ba 2015, arXiv:1412.6980) with global-norm gradient clipping, written over
 * named variables so that its state (moments, step) goes into checkpoints under stable names.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensor } from '@calozoo/core';

/** Adam's hyper-parameters. */
export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Clip the global gradient norm to this value (0 or undefined: no clipping). */
  clipNorm?: number;
}

/** Adam over a fixed set of named variables. */
export class Adam {
  /** Number of updates applied so far. */
  step = 0;
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly clip: number;

  /** Creates zeroed moments for `vars` (stable name → variable). */
  constructor(private readonly vars: Record<string, tf.Variable>, options: AdamOptions = {}) {
    this.b1 = options.beta1 ?? 0.9;
    this.b2 = options.beta2 ?? 0.999;
    this.eps = options.epsilon ?? 1e-8;
    this.clip = options.clipNorm ?? 0;
    for (const [k, x] of Object.entries(vars)) {
      this.m.set(k, tf.variable(tf.zerosLike(x), false));
      this.v.set(k, tf.variable(tf.zerosLike(x), false));
    }
  }

  /**
   * Applies one update with learning rate `lr`; `grads` is keyed by stable name.
   * @returns the gradient norm before clipping
   */
  apply(grads: Record<string, tf.Tensor>, lr: number): number {
    this.step += 1;
    const t = this.step;
    const names = Object.keys(this.vars);
    const norm = tf.tidy(() => Math.sqrt(tf.addN(names.map((k) => tf.sum(tf.square(grads[k])))).dataSync()[0]));
    const scale = this.clip > 0 && norm > this.clip ? this.clip / norm : 1;
    const lrT = (lr * Math.sqrt(1 - Math.pow(this.b2, t))) / (1 - Math.pow(this.b1, t));
    tf.tidy(() => {
      for (const k of names) {
        const g = scale === 1 ? grads[k] : tf.mul(grads[k], scale);
        const m = this.m.get(k)!;
        const v = this.v.get(k)!;
        m.assign(tf.add(tf.mul(m, this.b1), tf.mul(g, 1 - this.b1)));
        v.assign(tf.add(tf.mul(v, this.b2), tf.mul(tf.square(g), 1 - this.b2)));
        this.vars[k].assign(tf.sub(this.vars[k], tf.mul(lrT, tf.div(m, tf.add(tf.sqrt(v), this.eps)))));
      }
    });
    return norm;
  }

  /** The optimizer state as named tensors (`m.<name>`, `v.<name>`, `step`). */
  state(): Record<string, NamedTensor> {
    const out: Record<string, NamedTensor> = { step: { dtype: 'F64', shape: [1], data: Float64Array.of(this.step) } };
    for (const [k, x] of this.m) out[`m.${k}`] = { dtype: 'F32', shape: [...x.shape], data: new Float32Array(x.dataSync() as Float32Array) };
    for (const [k, x] of this.v) out[`v.${k}`] = { dtype: 'F32', shape: [...x.shape], data: new Float32Array(x.dataSync() as Float32Array) };
    return out;
  }

  /** Restores a state written by `state()`. */
  setState(s: Record<string, NamedTensor>): void {
    this.step = Number(s['step']?.data[0] ?? 0);
    for (const [k, x] of this.m) if (s[`m.${k}`]) x.assign(tf.tensor(Float32Array.from(s[`m.${k}`].data), x.shape));
    for (const [k, x] of this.v) if (s[`v.${k}`]) x.assign(tf.tensor(Float32Array.from(s[`v.${k}`].data), x.shape));
  }

  /** Releases the moment tensors. */
  dispose(): void {
    for (const x of this.m.values()) x.dispose();
    for (const x of this.v.values()) x.dispose();
  }
}
