/**
 * Physics features for the dense critic (`dense.criticFeatures`): besides the voxels, the critic
 * sees per shower the energy response E_dep/E_inc = Σ_v u_v and the longitudinal profile as layer
 * fractions E_l / E_dep, computed inside the graph from the network values (u = E_voxel/E_inc via
 * the representation's `fractionTf`), for real, generated and interpolated showers alike. The
 * critic can then compare these sums directly instead of having to learn them from hundreds of
 * voxels, and their gradients push the generator toward the right response, resolution and
 * longitudinal profile (the summed-energy inputs of CaloGAN, Paganini et al. 2018,
 * arXiv:1705.02355, and of the CaloChallenge GANs). The gradient penalty is taken with respect to
 * the voxels through these functions, so the Lipschitz constraint covers them.
 *
 * Each feature is standardised with the mean and standard deviation over the training split (so
 * all features enter the first layer on the scale of the voxel values in [0, 1]); the constants
 * are fitted by every `fit` from its training showers and are used by the critic only, never by
 * generation.
 */
import { tf } from '@calozoo/core';

/** Added to E_dep/E_inc in the layer fractions' denominator (fractions of incident energy). */
export const FRACTION_EPSILON = 1e-3;

/**
 * The raw features of showers u = E_voxel/E_inc [n, V]: [n, 1 + L] = E_dep/E_inc, then the layer
 * fractions (E_l/E_inc) / (E_dep/E_inc + ε). No tidy here: it runs inside gradient tapes.
 */
export function rawCriticFeatures(u: tf.Tensor2D, layerMatrix: tf.Tensor2D): tf.Tensor2D {
  const perLayer = tf.matMul(u, layerMatrix); // [n, L], E_l / E_inc
  const total = tf.sum(perLayer, 1, true); // [n, 1], E_dep / E_inc
  return tf.concat([total, tf.div(perLayer, tf.add(total, FRACTION_EPSILON))], 1) as tf.Tensor2D;
}

/** One-hot [V, L] matrix of the voxels' layers. */
export function layerMatrix(layers: Int32Array): tf.Tensor2D {
  const L = layers.reduce((a, l) => Math.max(a, l + 1), 0);
  const m = new Float32Array(layers.length * L);
  layers.forEach((l, v) => {
    m[v * L + l] = 1;
  });
  return tf.tensor2d(m, [layers.length, L]);
}

/** Number of features for a geometry with `layers` layers. */
export const criticFeatureCount = (layers: number): number => 1 + layers;

/** A fitted feature map: network values [n, V] → standardised features [n, size]. */
export interface CriticFeatureMap {
  readonly size: number;
  /** The standardisation constants (mean and factor/std per feature; 0 for a constant feature). */
  readonly mean: Float32Array;
  readonly invStd: Float32Array;
  apply(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/**
 * Fits the standardisation on the training rows of the encoded showers `x` ([n, V] row-major) and
 * returns the map (standardised features times `factor`); `fraction` maps network values to
 * u = E_voxel/E_inc (differentiably).
 */
export function fitCriticFeatures(
  x: Float32Array, voxels: number, rows: ArrayLike<number>, layers: Int32Array, fraction: (x: tf.Tensor2D) => tf.Tensor2D, factor = 1, chunk = 4096,
): CriticFeatureMap {
  const M = layerMatrix(layers);
  const size = criticFeatureCount(M.shape[1]);
  const sum = new Float64Array(size);
  const sq = new Float64Array(size);
  for (let s = 0; s < rows.length; s += chunk) {
    const m = Math.min(chunk, rows.length - s);
    const xb = new Float32Array(m * voxels);
    for (let i = 0; i < m; i++) {
      const r = rows[s + i]!;
      xb.set(x.subarray(r * voxels, (r + 1) * voxels), i * voxels);
    }
    const f = tf.tidy(() => rawCriticFeatures(fraction(tf.tensor2d(xb, [m, voxels])), M));
    const d = f.dataSync();
    f.dispose();
    for (let i = 0; i < m; i++) {
      for (let k = 0; k < size; k++) {
        const v = d[i * size + k]!;
        sum[k]! += v;
        sq[k]! += v * v;
      }
    }
  }
  const n = Math.max(1, rows.length);
  const mean = new Float32Array(size);
  const invStd = new Float32Array(size);
  for (let k = 0; k < size; k++) {
    mean[k] = sum[k]! / n;
    const std = Math.sqrt(Math.max(0, sq[k]! / n - (sum[k]! / n) ** 2));
    invStd[k] = std > 1e-6 ? factor / std : 0;
  }
  const meanT = tf.tensor2d(mean, [1, size]);
  const invT = tf.tensor2d(invStd, [1, size]);
  return {
    size,
    mean,
    invStd,
    apply: (v) => tf.mul(tf.sub(rawCriticFeatures(fraction(v), M), meanT), invT) as tf.Tensor2D,
    dispose: () => tf.dispose([M, meanT, invT]),
  };
}
