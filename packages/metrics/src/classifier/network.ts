/**
 * A dense network in TensorFlow.js for the classifier test and the FRD regressor: Linear layers
 * with LeakyReLU (negative slope 0.01, PyTorch's default) between them, initialised as PyTorch's
 * `nn.Linear` (weights and biases uniform in ±1/sqrt(fan_in)) from a seeded `Rng`, so runs are
 * reproducible. Weights are float32 (the CaloChallenge classifier uses float64).
 */
import { tf, type Rng } from '@calozoo/core';

/** Negative slope of the LeakyReLU (PyTorch's default). */
export const LEAKY_SLOPE = 0.01;

/** A stack of dense layers: sizes[0] inputs → … → sizes[last] outputs. */
export class DenseNet {
  /** Weight matrices [in, out] by layer. */
  readonly weights: tf.Variable[];
  /** Bias vectors by layer. */
  readonly biases: tf.Variable[];

  /** Creates the layers with PyTorch-style uniform initialisation drawn from `rng`. */
  constructor(
    readonly sizes: readonly number[],
    rng: Rng,
  ) {
    this.weights = [];
    this.biases = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      const fin = sizes[l];
      const fout = sizes[l + 1];
      const bound = 1 / Math.sqrt(fin);
      const w = new Float32Array(fin * fout);
      for (let i = 0; i < w.length; i++) w[i] = bound * (2 * rng.uniform() - 1);
      const b = new Float32Array(fout);
      for (let i = 0; i < fout; i++) b[i] = bound * (2 * rng.uniform() - 1);
      this.weights.push(tf.tidy(() => tf.variable(tf.tensor2d(w, [fin, fout]), true)));
      this.biases.push(tf.tidy(() => tf.variable(tf.tensor1d(b), true)));
    }
  }

  /** All trainable variables. */
  get variables(): tf.Variable[] {
    return [...this.weights, ...this.biases];
  }

  /**
   * Forward pass; returns the output, or the activation after hidden layer `upTo` (0-based,
   * after its LeakyReLU) when given.
   */
  apply(x: tf.Tensor2D, upTo?: number): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      const last = this.weights.length - 1;
      for (let l = 0; l <= last; l++) {
        h = tf.add(tf.matMul(h, this.weights[l]), this.biases[l]);
        if (l < last) h = tf.leakyRelu(h, LEAKY_SLOPE);
        if (l === upTo) return h;
      }
      return h;
    });
  }

  /** Frees the variables. */
  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}

/** Copies rows `idx[from..to)` of a row-major sample into one float32 batch. */
export function gatherRows(data: Float32Array | Float64Array, d: number, idx: ArrayLike<number>, from: number, to: number): Float32Array {
  const out = new Float32Array((to - from) * d);
  for (let k = from; k < to; k++) {
    const o = idx[k] * d;
    if (data instanceof Float32Array) out.set(data.subarray(o, o + d), (k - from) * d);
    else for (let j = 0; j < d; j++) out[(k - from) * d + j] = data[o + j];
  }
  return out;
}
