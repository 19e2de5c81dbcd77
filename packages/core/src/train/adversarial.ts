/**
 * The Wasserstein critic loss with gradient penalty (Gulrajani et al. 2017, arXiv:1704.00028
 * eq. 3) that the adversarial model plugins share: mean D(fake) − mean D(real) + λ·GP, GP = mean
 * over the batch of (‖∇ D(x̂)‖₂ − 1)² at x̂ = α·real + (1 − α)·fake, α per sample. A critic of
 * several inputs (e.g. the BIB-AE's pairs) is penalised on the norm of its gradient with respect
 * to all of them together.
 */
import { tf } from '../device/tf.js';

/** Added under the square root of the gradient norm so that its gradient stays finite at 0 (changes the norm by < 1e-6). */
const NORM_EPSILON = 1e-12;

/**
 * mean_i (‖∇ D‖₂ − 1)² at the mixed inputs α·real_k + (1 − α)·fake_k (`alpha` [n, 1]); each
 * sample's score must depend on its own row only. The inner gradient is taken with `tf.grads`, so
 * the penalty is differentiable again (double backprop) with respect to the critic's weights.
 */
export function gradientPenalty(critic: (...xs: tf.Tensor2D[]) => tf.Tensor, real: readonly tf.Tensor2D[], fake: readonly tf.Tensor2D[], alpha: tf.Tensor2D): tf.Scalar {
  const mixed = real.map((r, i) => tf.add(tf.mul(alpha, r), tf.mul(tf.sub(1, alpha), fake[i]!)) as tf.Tensor2D);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(critic(...(xs as tf.Tensor2D[]))))(mixed);
  const sq = grads.length === 1 ? tf.sum(tf.square(grads[0]!), 1) : tf.addN(grads.map((g) => tf.sum(tf.square(g), 1)));
  return tf.mean(tf.square(tf.sub(tf.sqrt(tf.add(sq, NORM_EPSILON)), 1))) as tf.Scalar;
}

/** WGAN-GP critic loss: mean D(fake) − mean D(real) + λ·gp. */
export function wassersteinCriticLoss(dReal: tf.Tensor, dFake: tf.Tensor, gp: tf.Scalar, lambda: number): tf.Scalar {
  return tf.add(tf.sub(tf.mean(dFake), tf.mean(dReal)), tf.mul(lambda, gp)) as tf.Scalar;
}
