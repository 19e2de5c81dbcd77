/**
 * The classifier test's dense network: core `Dense` layers with LeakyReLU (negative slope 0.01,
 * PyTorch's default) between them, initialised as PyTorch's `nn.Linear` (weights and biases
 * uniform in ±1/sqrt(fan_in)) from a seeded `Rng`, so runs are reproducible. Weights are float32
 * (the CaloChallenge classifier uses float64).
 */
import { Dense, prefixed, tf, type Rng } from '@calozoo/core';

/** Negative slope of the LeakyReLU (PyTorch's default). */
export const LEAKY_SLOPE = 0.01;

/** A stack of core `Dense` layers: sizes[0] inputs → … → sizes[last] outputs, LeakyReLU between them. */
export class DenseNet {
  /** The layers, in order. */
  readonly layers: Dense[];

  /** Creates the layers with PyTorch-style uniform initialisation drawn from `rng` (each layer's kernel, then its bias). */
  constructor(
    readonly sizes: readonly number[],
    rng: Rng,
  ) {
    this.layers = sizes.slice(1).map((fout, l) => new Dense(sizes[l]!, fout, rng, { activation: l + 2 < sizes.length ? { name: 'leakyRelu', alpha: LEAKY_SLOPE } : 'linear' }));
  }

  /** All trainable variables by stable name (`<layer>.kernel`, `<layer>.bias`). */
  get variables(): Record<string, tf.Variable> {
    return Object.assign({}, ...this.layers.map((l, i) => prefixed(String(i), l.params())));
  }

  /**
   * Forward pass; returns the output, or the activation after hidden layer `upTo` (0-based,
   * after its LeakyReLU) when given.
   */
  apply(x: tf.Tensor2D, upTo?: number): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      for (let l = 0; l < this.layers.length; l++) {
        h = this.layers[l]!.apply(h);
        if (l === upTo) return h;
      }
      return h;
    });
  }

  /** Frees the variables. */
  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}

