/**
 * Adam (Kingma & Ba 2015, arXiv:1412.6980, Algorithm 1, PyTorch's update) with a learning rate
 * passed per step, so that schedules need no optimizer internals.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeVariable } from './variable.js';

/** Adam optimiser state for a fixed list of variables. */
export class Adam {
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];
  private t = 0;

  /** Creates zeroed moment estimates for `vars`. */
  constructor(
    private readonly vars: tf.Variable[],
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = vars.map((x) => makeVariable(tf.zerosLike(x), false));
    this.v = vars.map((x) => makeVariable(tf.zerosLike(x), false));
  }

  /** One update with gradients aligned to the variables and learning rate `lr`. */
  step(grads: tf.Tensor[], lr: number): void {
    this.t++;
    const c1 = 1 - this.beta1 ** this.t;
    const c2 = 1 - this.beta2 ** this.t;
    tf.tidy(() => {
      this.vars.forEach((x, i) => {
        const g = grads[i];
        const m = tf.add(tf.mul(this.beta1, this.m[i]), tf.mul(1 - this.beta1, g));
        const v = tf.add(tf.mul(this.beta2, this.v[i]), tf.mul(1 - this.beta2, tf.square(g)));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const update = tf.div(tf.mul(lr / c1, m), tf.add(tf.sqrt(tf.div(v, c2)), this.eps));
        x.assign(tf.sub(x, update));
      });
    });
  }

  /** Releases the moment estimates. */
  dispose(): void {
    [...this.m, ...this.v].forEach((t) => t.dispose());
  }
}
