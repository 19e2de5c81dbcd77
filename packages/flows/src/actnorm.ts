/**
 * ActNorm (Kingma & Dhariwal 2018, Glow, arXiv:1807.03039 §3.1): per-feature y = x·e^s + t, with
 * s and t initialised from the first training batch so that outputs have zero mean and unit
 * variance; afterwards ordinary parameters.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeVariable } from './variable.js';
import { rawComputed, tensorToRaw, type OnnxGraphBuilder, type OnnxValue } from '@calozoo/core';
import type { Bijector } from './bijector.js';

/** Per-feature affine map with data-dependent initialisation. */
export class ActNorm implements Bijector {
  private readonly logScale: tf.Variable;
  private readonly shift: tf.Variable;
  private readonly initializedFlag: tf.Variable;
  private training = false;

  /** Creates the identity map on `dim` features, to be initialised by the first training batch. */
  constructor(dim: number) {
    this.logScale = makeVariable(tf.zeros([dim]));
    this.shift = makeVariable(tf.zeros([dim]));
    this.initializedFlag = makeVariable(tf.scalar(0), false);
  }

  private get initialized(): boolean {
    return this.initializedFlag.dataSync()[0] > 0;
  }

  private initialize(x: tf.Tensor2D): void {
    tf.tidy(() => {
      const { mean, variance } = tf.moments(x, 0);
      const s = tf.neg(tf.log(tf.add(tf.sqrt(variance), 1e-6)));
      this.logScale.assign(s);
      this.shift.assign(tf.neg(tf.mul(mean, tf.exp(s))));
      this.initializedFlag.assign(tf.scalar(1));
    });
  }

  /** y = x·e^s + t (initialising s, t from x on the first training call). */
  forward(x: tf.Tensor2D) {
    if (this.training && !this.initialized) this.initialize(x);
    return tf.tidy(() => ({
      y: tf.add(tf.mul(x, tf.exp(this.logScale)), this.shift) as tf.Tensor2D,
      logDet: tf.mul(tf.ones([x.shape[0]]), tf.sum(this.logScale)) as tf.Tensor1D,
    }));
  }

  /** x = (y − t)·e^−s. */
  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => ({
      x: tf.mul(tf.sub(y, this.shift), tf.exp(tf.neg(this.logScale))) as tf.Tensor2D,
      logDet: tf.mul(tf.ones([y.shape[0]]), tf.neg(tf.sum(this.logScale))) as tf.Tensor1D,
    }));
  }

  /** Appends the inverse (y − t)·e^−s with the current s, t as constants. */
  onnxInverse(g: OnnxGraphBuilder, y: OnnxValue): OnnxValue {
    const shift = tensorToRaw(this.shift);
    const inv = rawComputed(() => tf.exp(tf.neg(this.logScale)));
    return g.mul(g.sub(y, shift), inv);
  }

  /** Enables data-dependent initialisation on the next forward pass. */
  setTraining(training: boolean): void {
    this.training = training;
  }

  /** `logScale`, `shift` and the non-trainable `initialized` flag. */
  variables(): Record<string, tf.Variable> {
    return { logScale: this.logScale, shift: this.shift, initialized: this.initializedFlag };
  }

  /** Releases the weights. */
  dispose(): void {
    [this.logScale, this.shift, this.initializedFlag].forEach((t) => t.dispose());
  }
}
