/**
 * The BIB-AE's loss terms (field-reference.md §4.1), each a function of network outputs:
 * - KLD = −½ Σ_d (1 + log σ² − μ² − σ²) / B over the active dimensions;
 * - latent MMD: the biased (V-statistic) squared MMD between z and an equal-size N(0, 1) sample
 *   with Gaussian kernels exp(−α‖a − b‖²), summed over the α of `alphas`, each term over B²;
 * - (the two critics' WGAN-GP losses are core's `gradientPenalty` and `wassersteinCriticLoss`);
 * - sorted-kernel MMD (the post-processor's): per shower, sort both showers' cell values in
 *   descending order, slide a window over the first `positions` sorted values and take the
 *   Gaussian-kernel MMD² (kernel exp(−α(a − b)²), means over the window's pairs) per window;
 *   mean over windows and showers.
 */
import { tf } from '@calozoo/core';

/** KL divergence of N(μ, σ²) from N(0, 1), summed over dimensions, mean over the batch. */
export function kld(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Scalar {
  const B = mu.shape[0];
  return tf.div(tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logVar), tf.square(mu)), tf.exp(logVar)))), B) as tf.Scalar;
}

/** Σ_α mean_{i,j} exp(−α‖a_i − b_j‖²) for a [n, d], b [m, d]. */
function meanKernel(a: tf.Tensor2D, b: tf.Tensor2D, alphas: readonly number[]): tf.Scalar {
  // ‖a_i − b_j‖² = ‖a_i‖² + ‖b_j‖² − 2 a_i·b_j
  const d2 = tf.relu(tf.sub(tf.add(tf.sum(tf.square(a), 1, true), tf.transpose(tf.sum(tf.square(b), 1, true))), tf.mul(2, tf.matMul(a, b, false, true))));
  return tf.addN(alphas.map((al) => tf.mean(tf.exp(tf.mul(-al, d2))))) as tf.Scalar;
}

/** Biased squared MMD between z [B, d] and a sample `prior` [B', d] with the kernels of `alphas`. */
export function latentMmd(z: tf.Tensor2D, prior: tf.Tensor2D, alphas: readonly number[]): tf.Scalar {
  return tf.sub(tf.add(meanKernel(z, z, alphas), meanKernel(prior, prior, alphas)), tf.mul(2, meanKernel(z, prior, alphas))) as tf.Scalar;
}

/** Indices [windows, window] of the sorted positions each window covers. */
export function windowIndices(window: number, stride: number, positions: number): number[][] {
  const out: number[][] = [];
  for (let s = 0; s + window <= positions; s += stride) out.push(Array.from({ length: window }, (_, j) => s + j));
  if (out.length === 0) out.push(Array.from({ length: Math.min(window, positions) }, (_, j) => j));
  return out;
}

/** Each row of x [n, V] sorted in descending order, its first `k` values, differentiable (the order is not). */
export function sortedRows(x: tf.Tensor2D, k: number): tf.Tensor2D {
  const [n, V] = x.shape;
  // The order is data, not part of the graph: read it back, so the tape sees a constant index.
  const order = tf.tidy(() => tf.topk(x, k, true).indices.dataSync() as Int32Array);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) order[i * k + j]! += i * V;
  const idx = tf.tensor1d(order, 'int32');
  return tf.reshape(tf.gather(tf.reshape(x, [n * V]), idx), [n, k]) as tf.Tensor2D;
}

/** Options of the sorted-kernel MMD. */
export interface SortedMmdOptions {
  window: number;
  stride: number;
  positions: number;
  alpha: number;
}

/** Sorted-kernel MMD² between the showers a [n, V] and b [n, V] (row i against row i); see the module comment. */
export function sortedKernelMmd(a: tf.Tensor2D, b: tf.Tensor2D, o: SortedMmdOptions): tf.Scalar {
  const V = a.shape[1];
  const k = Math.min(o.positions, V);
  const w = windowIndices(Math.min(o.window, k), o.stride, k);
  const W = w[0]!.length;
  const flat = Int32Array.from(w.flat());
  const windows = (x: tf.Tensor2D): tf.Tensor4D => {
    const s = sortedRows(x, k);
    return tf.reshape(tf.gather(s, tf.tensor1d(flat, 'int32'), 1), [x.shape[0], w.length, W, 1]) as tf.Tensor4D;
  };
  const A = windows(a);
  const B = windows(b);
  const kmean = (p: tf.Tensor4D, q: tf.Tensor4D): tf.Tensor => tf.mean(tf.exp(tf.mul(-o.alpha, tf.square(tf.sub(p, tf.transpose(q, [0, 1, 3, 2]))))), [2, 3]);
  return tf.mean(tf.sub(tf.add(kmean(A, A), kmean(B, B)), tf.mul(2, kmean(A, B)))) as tf.Scalar;
}
