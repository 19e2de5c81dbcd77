/**
 * Batch normalisation as a bijector (Dinh et al. 2017, arXiv:1605.08803 §3.7; nflows'
 * `BatchNormTransform`). Training mode normalises with the batch statistics (which enter the
 * log-determinant) and updates running averages; evaluation mode uses the running averages and
 * is then an ordinary invertible affine map. The inverse exists only in evaluation mode.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeVariable } from './variable.js';
import { InvalidArgumentError, rawComputed, type OnnxGraphBuilder, type OnnxValue, tensorToRaw } from '@calozoo/core';
import type { Bijector } from './bijector.js';

/** Options of batch normalisation. */
export interface BatchNormOptions {
  /** Weight of the new batch in the running averages (PyTorch convention). */
  momentum: number;
  /** Added to the variance. */
  eps: number;
}

/** y = w (x − μ)/√(σ² + ε) + b with w = softplus(·) + ε. */
export class BatchNorm implements Bijector {
  private readonly weight: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly runningMean: tf.Variable;
  private readonly runningVar: tf.Variable;
  private training = false;

  /** Creates the layer at the identity (running variance 1). */
  constructor(
    dim: number,
    private readonly o: BatchNormOptions,
  ) {
    this.weight = makeVariable(tf.fill([dim], Math.log(Math.expm1(1 - o.eps))));
    this.bias = makeVariable(tf.zeros([dim]));
    this.runningMean = makeVariable(tf.zeros([dim]), false);
    this.runningVar = makeVariable(tf.ones([dim]), false);
  }

  private w(): tf.Tensor1D {
    return tf.add(tf.softplus(this.weight), this.o.eps) as tf.Tensor1D;
  }

  /** Normalises with batch statistics (training) or running averages (evaluation). */
  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      let mean: tf.Tensor = this.runningMean;
      let variance: tf.Tensor = this.runningVar;
      if (this.training) {
        const m = tf.moments(x, 0);
        mean = m.mean;
        variance = m.variance;
        const k = this.o.momentum;
        this.runningMean.assign(tf.add(tf.mul(1 - k, this.runningMean), tf.mul(k, mean)) as tf.Tensor1D);
        this.runningVar.assign(tf.add(tf.mul(1 - k, this.runningVar), tf.mul(k, variance)) as tf.Tensor1D);
      }
      const w = this.w();
      const sd = tf.sqrt(tf.add(variance, this.o.eps));
      const y = tf.add(tf.mul(w, tf.div(tf.sub(x, mean), sd)), this.bias) as tf.Tensor2D;
      const ld = tf.sum(tf.sub(tf.log(w), tf.log(sd)));
      return { y, logDet: tf.mul(tf.ones([x.shape[0]]), ld) as tf.Tensor1D };
    });
  }

  /** Inverts the evaluation-mode map. @throws InvalidArgumentError in training mode. */
  inverse(y: tf.Tensor2D) {
    if (this.training) throw new InvalidArgumentError('batch norm: the inverse exists only in evaluation mode; call flow.setTraining(false) first');
    return tf.tidy(() => {
      const w = this.w();
      const sd = tf.sqrt(tf.add(this.runningVar, this.o.eps));
      const x = tf.add(tf.mul(tf.div(tf.sub(y, this.bias), w), sd), this.runningMean) as tf.Tensor2D;
      const ld = tf.sum(tf.sub(tf.log(sd), tf.log(w)));
      return { x, logDet: tf.mul(tf.ones([y.shape[0]]), ld) as tf.Tensor1D };
    });
  }

  /** Appends the evaluation-mode inverse (y − β)/w·σ + μ, with σ/w and μ as constants. */
  onnxInverse(g: OnnxGraphBuilder, y: OnnxValue): OnnxValue {
    const k = rawComputed(() => tf.div(tf.sqrt(tf.add(this.runningVar, this.o.eps)), this.w()));
    return g.add(g.mul(g.sub(y, tensorToRaw(this.bias)), k), tensorToRaw(this.runningMean));
  }

  /** Switches between batch statistics (true) and running averages (false). */
  setTraining(training: boolean): void {
    this.training = training;
  }

  /** `weight`, `bias` and the non-trainable `runningMean`, `runningVar`. */
  variables(): Record<string, tf.Variable> {
    return { weight: this.weight, bias: this.bias, runningMean: this.runningMean, runningVar: this.runningVar };
  }

  /** Releases the weights. */
  dispose(): void {
    [this.weight, this.bias, this.runningMean, this.runningVar].forEach((t) => t.dispose());
  }
}
