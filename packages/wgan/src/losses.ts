/**
 * The losses, as functions of network outputs (field-reference.md §4.4, §4.6):
 * - critic (WGAN-GP, Gulrajani et al. 2017, arXiv:1704.00028 eq. 3):
 *   mean D(fake) − mean D(real) + λ·GP, GP = mean over the batch of (‖∇_x̂ D(x̂)‖₂ − 1)², x̂ = α·real
 *   + (1 − α)·fake with α ~ U[0, 1) per shower (the published `calc_gradient_penalty`);
 * - generator: −mean D(fake) + κ·mean |(C(fake) − E)² − (C(real) − E)²|, C the constrainer;
 * - constrainer: mean |C(real) − E| (L1, trained on real showers in the critic loop);
 * - plain GAN (BCE on logits): discriminator −log σ(D(real)) − log(1 − σ(D(fake))), generator
 *   −log σ(D(fake)) (the non-saturating form: labels "real" for fakes), both as softplus.
 */
import { gradientPenalty as penalty, tf, wassersteinCriticLoss } from '@calozoo/core';

/**
 * The gradient penalty mean_i (‖∇_x̂ D(x̂)_i‖₂ − 1)² on x̂ = α·real + (1 − α)·fake (core's
 * `gradientPenalty` for a critic of one input). `critic` maps [n, V] to [n, 1]; `alpha` is [n, 1].
 */
export function gradientPenalty(critic: (x: tf.Tensor2D) => tf.Tensor, real: tf.Tensor2D, fake: tf.Tensor2D, alpha: tf.Tensor2D): tf.Scalar {
  return penalty((x) => critic(x!), [real], [fake], alpha);
}

/** The critic's Wasserstein estimate mean D(real) − mean D(fake) (what the critic maximises). */
export function wassersteinEstimate(dReal: tf.Tensor, dFake: tf.Tensor): tf.Scalar {
  return tf.sub(tf.mean(dReal), tf.mean(dFake)) as tf.Scalar;
}

/** WGAN-GP critic loss: mean D(fake) − mean D(real) + λ·gp (core's `wassersteinCriticLoss`). */
export const wganCriticLoss: (dReal: tf.Tensor, dFake: tf.Tensor, gp: tf.Scalar, lambda: number) => tf.Scalar = wassersteinCriticLoss;

/** The constrainer term mean |(C(fake) − E)² − (C(real) − E)²| (§4.4); all [n, 1]. */
export function constrainerTerm(onFake: tf.Tensor, onReal: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.abs(tf.sub(tf.squaredDifference(onFake, target), tf.squaredDifference(onReal, target)))) as tf.Scalar;
}

/** WGAN-GP generator loss: −mean D(fake) + κ·`term` (the constrainer term, or nothing). */
export function wganGeneratorLoss(dFake: tf.Tensor, kappa = 0, term?: tf.Scalar): tf.Scalar {
  const adv = tf.neg(tf.mean(dFake)) as tf.Scalar;
  return term && kappa > 0 ? (tf.add(adv, tf.mul(kappa, term)) as tf.Scalar) : adv;
}

/** The constrainer's own loss, L1 to the condition: mean |C(real) − E|. */
export function constrainerLoss(prediction: tf.Tensor, target: tf.Tensor): tf.Scalar {
  return tf.mean(tf.abs(tf.sub(prediction, target))) as tf.Scalar;
}

/** BCE discriminator loss on logits: mean softplus(−D(real)) + mean softplus(D(fake)). */
export function bceDiscriminatorLoss(dReal: tf.Tensor, dFake: tf.Tensor): tf.Scalar {
  return tf.add(tf.mean(tf.softplus(tf.neg(dReal))), tf.mean(tf.softplus(dFake))) as tf.Scalar;
}

/** Non-saturating BCE generator loss on logits: mean softplus(−D(fake)) = −mean log σ(D(fake)). */
export function bceGeneratorLoss(dFake: tf.Tensor): tf.Scalar {
  return tf.mean(tf.softplus(tf.neg(dFake))) as tf.Scalar;
}
