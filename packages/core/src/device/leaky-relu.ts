/**
 * Leaky ReLU written as relu(x) − a·relu(−x), whose gradient is built from Relu and Step and so
 * has a second derivative on every backend (needed by the WGAN-GP penalty, Gulrajani et al. 2017,
 * arXiv:1704.00028, eq. 3, when the critic uses leaky ReLUs).
 */
import { tf } from './tf.js';

/** Leaky ReLU relu(x) − a·relu(−x) with a second derivative; `a` is the negative slope (e.g. 0.2). */
export function leakyReluDiff<R extends tf.Rank>(x: tf.Tensor<R>, a: number): tf.Tensor<R> {
  return tf.tidy(() => tf.sub(tf.relu(x), tf.mul(tf.scalar(a), tf.relu(tf.neg(x)))));
}
