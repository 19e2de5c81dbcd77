/**
 * The dense variant, for any geometry (CaloChallenge datasets, irregular binnings, small grids):
 * MLPs with the published networks' structure — the generator maps [noise ⊕ condition] through
 * hidden layers with LayerNorm + ReLU to every voxel with a final ReLU; the critic maps
 * [voxels ⊕ condition] through hidden layers with LayerNorm + LeakyReLU 0.2 to one score
 * (LayerNorm, not BatchNorm: the gradient penalty is per sample, and batch statistics would couple
 * the samples of a batch, Gulrajani et al. 2017, arXiv:1704.00028 §4); the constrainer maps the
 * voxels through LeakyReLU layers to the condition (linear output: the condition may be negative).
 */
import { Activation, Dense, LayerNorm, Sequential, tf, type Layer, type OnnxGraphBuilder, type OnnxValue, type Rng } from '@calozoo/core';
import { LEAKY } from './conv-networks.js';
import { NetParts, type ConstrainerNet, type CriticNet, type GeneratorNet } from './networks.js';

/** Dense layers in → hidden… → out; LayerNorm + `act` after each hidden layer when `norm`, `last` after the output. */
function mlp(widths: readonly number[], rng: Rng, act: 'relu' | 'leaky', norm: boolean, last: 'relu' | 'linear'): Sequential {
  const layers: [string, Layer][] = [];
  for (let j = 0; j + 1 < widths.length; j++) {
    const hidden = j + 2 < widths.length;
    layers.push([`fc${j}`, new Dense(widths[j]!, widths[j + 1]!, rng, { activation: hidden ? (norm ? 'linear' : act === 'relu' ? 'relu' : LEAKY) : last })]);
    if (hidden && norm) layers.push([`ln${j}`, new LayerNorm([widths[j + 1]!])], [`act${j}`, new Activation(act === 'relu' ? 'relu' : LEAKY)]);
  }
  return new Sequential(layers);
}

/** Generator [z ⊕ c] → hidden (LayerNorm + ReLU) → voxels (ReLU). */
export class DenseGenerator extends NetParts implements GeneratorNet {
  /** Builds the MLP for `voxels` outputs. */
  constructor(latentDim: number, voxels: number, hidden: readonly number[], rng: Rng) {
    super({ net: mlp([latentDim + 1, ...hidden, voxels], rng, 'relu', true, 'relu') });
  }

  /** Network values [n, voxels]. */
  apply(z: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
    return this.parts['net']!.apply(tf.concat([z, c], 1)) as tf.Tensor2D;
  }

  /** The same in ONNX. */
  toOnnx(g: OnnxGraphBuilder, z: OnnxValue, c: OnnxValue): OnnxValue {
    return this.parts['net']!.toOnnx(g, g.concat([z, c], 1));
  }
}

/**
 * Critic [x ⊕ c] → hidden (LayerNorm + LeakyReLU 0.2) → 1. With `features` > 0 its input is
 * [x ⊕ f ⊕ c], f the `features` physics features that training appends to the voxels
 * (core's `train/critic-features.ts`).
 */
export class DenseCritic extends NetParts implements CriticNet {
  /** Builds the MLP for `voxels` inputs (plus `features` appended ones). */
  constructor(voxels: number, hidden: readonly number[], rng: Rng, features = 0) {
    super({ net: mlp([voxels + features + 1, ...hidden, 1], rng, 'leaky', true, 'linear') });
  }

  /** Score [n, 1] of x [n, voxels (+ features)]. */
  apply(x: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
    return this.parts['net']!.apply(tf.concat([x, c], 1)) as tf.Tensor2D;
  }
}

/** Constrainer x → hidden (LeakyReLU 0.2) → condition estimate. */
export class DenseConstrainer extends NetParts implements ConstrainerNet {
  /** Builds the MLP for `voxels` inputs. */
  constructor(voxels: number, hidden: readonly number[], rng: Rng) {
    super({ net: mlp([voxels, ...hidden, 1], rng, 'leaky', false, 'linear') });
  }

  /** Condition estimate [n, 1]. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.parts['net']!.apply(x) as tf.Tensor2D;
  }
}
