/**
 * CaloMan's conditional VAE (field-reference.md §4.7; Kingma & Welling 2014, arXiv:1312.6114):
 * parallel-MLP encoder x, y → (μ, log σ) and decoder z, y → mean of every voxel, loss = negative
 * ELBO with a β-weighted KL term. The decoder's likelihood is a Gaussian with one shared log σ
 * (published), a σ per voxel, or that plus a hit probability per voxel (zero-inflated).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerSlice, OnnxGraphBuilder, OnnxValue, Rng } from '@calozoo/core';
import { ParallelMlp } from './dense.js';
import { ParamStore } from './params.js';
import { layerMembership } from './preprocess.js';

/** Shape of the VAE. */
export interface VaeShape {
  /** Voxels per shower (input and output size). */
  voxels: number;
  /** Condition size: 1 + number of layers. */
  conditionDim: number;
  /** Latent size. */
  latentDim: number;
  /** Hidden widths of encoder and decoder, e.g. [512, 512, 512]. */
  hidden: readonly number[];
  /**
   * Output noise model: one learned σ shared by every voxel (`shared`, CaloMan's), or a σ per
   * voxel and shower predicted by the decoder next to the mean (`per-voxel`, heteroscedastic), or
   * that plus a hit probability per voxel (`zero-inflated`: a voxel is exactly zero with
   * probability 1 − p, else Gaussian around the mean; only hits enter the Gaussian term).
   */
  likelihood?: VaeLikelihood;
}

/** The VAE's output noise model (see `VaeShape.likelihood`). */
export type VaeLikelihood = 'shared' | 'per-voxel' | 'zero-inflated';

/**
 * Whether the likelihood draws hits (a hit probability per voxel): generation then needs uniform
 * hit noise and keeps drawn hits at the readout threshold (TF.js and the ONNX graph both ask here).
 */
export function drawsHits(likelihood: VaeLikelihood | undefined): boolean {
  return likelihood === 'zero-inflated';
}

/** The likelihoods whose decoder predicts a σ per voxel (output [mean | raw log σ | …]). */
const PER_VOXEL_SIGMA: readonly VaeLikelihood[] = ['per-voxel', 'zero-inflated'];

/** Scalar parts of the loss, averaged over the batch. */
export interface VaeLoss {
  /** Negative ELBO: reconstruction + β·KL. */
  loss: tf.Scalar;
  /** Gaussian negative log-likelihood of the voxels (nats per shower). */
  reconstruction: tf.Scalar;
  /** KL(q(z|x, y) ‖ N(0, 1)) (nats per shower). */
  kl: tf.Scalar;
}

/** Bounds of the encoder's log σ, which keep exp() finite early in training. */
const LOG_SIGMA_RANGE = [-12, 4] as const;
/** Bounds of the per-voxel output log σ: the floor keeps exactly-zero voxels from driving σ → 0. */
const VOXEL_LOG_SIGMA_RANGE = [-6, 1] as const;
const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/**
 * The Gaussian pieces of a decoder output o = [mean | raw log σ | …] for voxels x [n, V]: log σ
 * clipped to VOXEL_LOG_SIGMA_RANGE, 1/σ and t = (x − mean)/σ (shared by the two NLL ops below).
 */
function gaussianParts(x: tf.Tensor2D, o: tf.Tensor2D): { t: tf.Tensor2D; inv: tf.Tensor2D; ls: tf.Tensor2D; raw: tf.Tensor2D } {
  const V = x.shape[1];
  const mean = tf.slice(o, [0, 0], [-1, V]);
  const raw = tf.slice(o, [0, V], [-1, V]) as tf.Tensor2D;
  const ls = tf.clipByValue(raw, VOXEL_LOG_SIGMA_RANGE[0], VOXEL_LOG_SIGMA_RANGE[1]) as tf.Tensor2D;
  const inv = tf.exp(tf.neg(ls)) as tf.Tensor2D;
  return { t: tf.mul(tf.sub(x, mean), inv) as tf.Tensor2D, inv, ls, raw };
}

/**
 * Per-row Gaussian negative log-likelihood Σ_v [½ t² + log σ_v] + V·½ log 2π of voxels x [n, V]
 * under the decoder output [n, 2V] = [mean | raw log σ], log σ = clip(raw, VOXEL_LOG_SIGMA_RANGE),
 * t = (x − mean)/σ, as one op with its gradient written out. Only x and the decoder output are
 * kept for the backward pass, instead of the ~8 [n, V] intermediates of the composed ops and
 * their gradients: the gradient recomputes t. A DS2 step of 512 rows grew by 838 MiB with the
 * composed ops, 425 MiB with this one (core's backward release off; packages/core/bench/HISTORY.md).
 * Same values and gradients as the ops (tested against them).
 */
export const perVoxelNll = tf.customGrad(((x: tf.Tensor2D, out: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, out]);
  const parts = gaussianParts;
  const value = tf.tidy(() => {
    const { t, ls } = parts(x, out);
    return tf.add(tf.sum(tf.add(tf.mul(0.5, tf.square(t)), ls), 1), x.shape[1] * HALF_LOG_2PI);
  });
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
    tf.tidy(() => {
      const [xs, os] = saved as [tf.Tensor2D, tf.Tensor2D];
      const { t, inv, raw } = parts(xs, os);
      const d = tf.reshape(dy, [-1, 1]);
      const tInvD = tf.mul(tf.mul(t, inv), d);
      // d/d raw log σ: 1 − t² inside the clip range, 0 outside (as clipByValue's gradient).
      const inRange = tf.logicalAnd(tf.greaterEqual(raw, VOXEL_LOG_SIGMA_RANGE[0]), tf.lessEqual(raw, VOXEL_LOG_SIGMA_RANGE[1]));
      const dls = tf.where(inRange, tf.mul(tf.sub(1, tf.square(t)), d), tf.zerosLike(raw));
      return [tInvD, tf.concat([tf.neg(tInvD), dls], 1)];
    });
  return { value, gradFunc };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, out: tf.Tensor2D) => tf.Tensor1D;

/**
 * Per-row negative log-likelihood of voxels x [n, V] (≥ 0) under the zero-inflated decoder output
 * [n, 3V] = [mean | raw log σ | hit logit ℓ]: with h = [x > 0], p = sigmoid(ℓ),
 * Σ_v [−h log p − (1 − h) log(1 − p) + h (½ t² + log σ + ½ log 2π)], t = (x − mean)/σ, log σ
 * clipped as in `perVoxelNll`. Written as one op with its gradient (d/dℓ = p − h) for the same
 * memory reason as `perVoxelNll`; same values and gradients as the composed ops (tested).
 */
export const zeroInflatedNll = tf.customGrad(((x: tf.Tensor2D, out: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, out]);
  const parts = (xv: tf.Tensor2D, o: tf.Tensor2D) => {
    const V = xv.shape[1];
    const logit = tf.slice(o, [0, 2 * V], [-1, V]) as tf.Tensor2D;
    return { ...gaussianParts(xv, o), logit, hit: tf.cast(tf.greater(xv, 0), 'float32') as tf.Tensor2D };
  };
  const value = tf.tidy(() => {
    const { t, ls, logit, hit } = parts(x, out);
    // −h log p − (1 − h) log(1 − p) = softplus(ℓ) − h ℓ.
    const bce = tf.sub(tf.softplus(logit), tf.mul(hit, logit));
    const gauss = tf.mul(hit, tf.add(tf.add(tf.mul(0.5, tf.square(t)), ls), HALF_LOG_2PI));
    return tf.sum(tf.add(bce, gauss), 1);
  });
  const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] =>
    tf.tidy(() => {
      const [xs, os] = saved as [tf.Tensor2D, tf.Tensor2D];
      const { t, inv, raw, logit, hit } = parts(xs, os);
      const d = tf.reshape(dy, [-1, 1]);
      const hd = tf.mul(hit, d);
      const tInvD = tf.mul(tf.mul(t, inv), hd);
      const inRange = tf.logicalAnd(tf.greaterEqual(raw, VOXEL_LOG_SIGMA_RANGE[0]), tf.lessEqual(raw, VOXEL_LOG_SIGMA_RANGE[1]));
      const dls = tf.where(inRange, tf.mul(tf.sub(1, tf.square(t)), hd), tf.zerosLike(raw));
      const dlogit = tf.mul(tf.sub(tf.sigmoid(logit), hit), d);
      return [tInvD, tf.concat([tf.neg(tInvD), dls, dlogit], 1)];
    });
  return { value, gradFunc };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor2D, out: tf.Tensor2D) => tf.Tensor1D;

/** The conditional VAE with named variables `encoder.*`, `decoder.*` and `decoder.logSigma`. */
export class ConditionalVae {
  /** Its parameters (stable names for safetensors). */
  readonly params: ParamStore;
  private readonly enc: ParallelMlp;
  private readonly dec: ParallelMlp;
  private readonly logSigmaX: tf.Variable | null;

  /** Creates the networks with weights drawn from `rng`. */
  constructor(readonly shape: VaeShape, rng: Rng) {
    this.params = new ParamStore('vae');
    this.enc = new ParallelMlp(this.params, 'encoder', shape.voxels, shape.conditionDim, shape.hidden, 2 * shape.latentDim, rng);
    const perVoxel = PER_VOXEL_SIGMA.includes(shape.likelihood ?? 'shared');
    const outputs = drawsHits(shape.likelihood) ? 3 : perVoxel ? 2 : 1;
    this.dec = new ParallelMlp(this.params, 'decoder', shape.latentDim, shape.conditionDim, shape.hidden, outputs * shape.voxels, rng);
    // The shared σ exists only for the shared likelihood (an unused variable would get no gradient).
    this.logSigmaX = perVoxel ? null : this.params.add('decoder.logSigma', tf.scalar(-1));
  }

  /** Encoder: mean and log σ [n, latentDim] of q(z | x, y). */
  encode(x: tf.Tensor2D, y: tf.Tensor2D): { mu: tf.Tensor2D; logSigma: tf.Tensor2D } {
    return tf.tidy(() => {
      const h = this.enc.apply(x, y);
      const d = this.shape.latentDim;
      const mu = tf.slice(h, [0, 0], [-1, d]) as tf.Tensor2D;
      const logSigma = tf.clipByValue(tf.slice(h, [0, d], [-1, d]), LOG_SIGMA_RANGE[0], LOG_SIGMA_RANGE[1]) as tf.Tensor2D;
      return { mu, logSigma };
    });
  }

  /** Decoder: expected value of the voxels [n, voxels] given z and y (p · mean for `zero-inflated`). */
  decode(z: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    if (this.logSigmaX) return this.dec.apply(z, y);
    return tf.tidy(() => {
      const out = this.dec.apply(z, y);
      const V = this.shape.voxels;
      const mean = tf.slice(out, [0, 0], [-1, V]) as tf.Tensor2D;
      if (!drawsHits(this.shape.likelihood)) return mean;
      return tf.mul(mean, tf.sigmoid(tf.slice(out, [0, 2 * V], [-1, V]))) as tf.Tensor2D;
    });
  }

  /**
   * A draw of the decoder's likelihood, mean + k·σ·ε [n, voxels] given the standard-normal ε; for
   * `zero-inflated` a voxel is a hit when u < p (u uniform [n, voxels], required) and its value
   * is then |mean + k·σ·ε| (folded: negative draws keep their magnitude, so a sparse voxel's
   * expected energy is not halved by clipping), else 0. k = 0 gives the mean (times the hit).
   * With the shower's layer `slices` (each layer's voxels [start, end)), a layer where no voxel
   * was drawn as a hit gets one: its most probable voxel (largest p·|mean|), with value p·|mean|. Its energy comes from the layer-energy flow and must land somewhere
   * (independent hits leave a sparse layer empty too often); one hit, not every voxel, so the
   * hits stay what the readout threshold sees (`fractionsToShowers`' hit floor).
   */
  sample(z: tf.Tensor2D, y: tf.Tensor2D, k: number, eps: tf.Tensor2D | null, u?: tf.Tensor2D, slices?: readonly Pick<LayerSlice, 'start' | 'end'>[]): tf.Tensor2D {
    return tf.tidy(() => {
      const d = this.decodeWithScale(z, y);
      const x = k > 0 && eps ? tf.add(d.mean, tf.mul(tf.mul(tf.exp(d.logSigma), k), eps)) : d.mean;
      if (!d.hitLogit) return x as tf.Tensor2D;
      if (!u) throw new Error('ConditionalVae.sample: the zero-inflated likelihood needs uniform hit noise u');
      const p = tf.sigmoid(d.hitLogit);
      const drawn = tf.where(tf.less(u, p), tf.abs(x), tf.zerosLike(x)) as tf.Tensor2D;
      if (!slices) return drawn;
      const membership = tf.tensor2d(layerMembership(slices, this.shape.voxels), [this.shape.voxels, slices.length]);
      const empty = tf.cast(tf.equal(tf.matMul(drawn, membership), 0), 'float32');
      const q = tf.mul(p, tf.abs(d.mean)) as tf.Tensor2D;
      // Each layer's largest p·|mean|, broadcast back to its voxels (exact: one 1 per MatMul row).
      const layerMax = tf.concat(slices.map((s) => tf.max(tf.slice(q, [0, s.start], [-1, s.end - s.start]), 1, true)), 1);
      const top = tf.logicalAnd(tf.equal(q, tf.matMul(layerMax, membership, false, true)), tf.greater(q, 0));
      const fill = tf.where(top, q, tf.zerosLike(q));
      return tf.add(drawn, tf.mul(tf.matMul(empty, membership, false, true), fill)) as tf.Tensor2D;
    });
  }

  /**
   * Decoder mean and log σ of every voxel [n, voxels] (the shared σ broadcast for `shared`), and
   * the hit logit for `zero-inflated`.
   */
  decodeWithScale(z: tf.Tensor2D, y: tf.Tensor2D): { mean: tf.Tensor2D; logSigma: tf.Tensor2D; hitLogit?: tf.Tensor2D } {
    return tf.tidy(() => {
      const out = this.dec.apply(z, y);
      const V = this.shape.voxels;
      if (!this.logSigmaX) {
        const mean = tf.slice(out, [0, 0], [-1, V]) as tf.Tensor2D;
        const logSigma = tf.clipByValue(tf.slice(out, [0, V], [-1, V]), VOXEL_LOG_SIGMA_RANGE[0], VOXEL_LOG_SIGMA_RANGE[1]) as tf.Tensor2D;
        if (!drawsHits(this.shape.likelihood)) return { mean, logSigma };
        return { mean, logSigma, hitLogit: tf.slice(out, [0, 2 * V], [-1, V]) as tf.Tensor2D };
      }
      return { mean: out, logSigma: tf.mul(tf.onesLike(out), this.logSigmaX) as tf.Tensor2D };
    });
  }

  /** Appends the decoder z, y → voxel means (σ, and the hit probability for `zero-inflated`) to an ONNX graph. */
  decodeOnnx(g: OnnxGraphBuilder, z: OnnxValue, y: OnnxValue): { mean: OnnxValue; sigma: OnnxValue | number; hitProbability?: OnnxValue } {
    const V = this.shape.voxels;
    if (this.logSigmaX) return { mean: this.dec.toOnnx(g, z, y)[0]!, sigma: Math.exp(this.outputLogSigma()) };
    const zi = drawsHits(this.shape.likelihood);
    const [mean, raw, logit] = this.dec.toOnnx(g, z, y, zi ? [V, V, V] : [V, V]);
    const sigma = g.exp(g.clip(raw!, VOXEL_LOG_SIGMA_RANGE[0], VOXEL_LOG_SIGMA_RANGE[1]));
    return zi ? { mean: mean!, sigma, hitProbability: g.sigmoid(logit!) } : { mean: mean!, sigma };
  }

  /** The shared output log σ (NaN for the per-voxel likelihoods, whose σ depends on the input). */
  outputLogSigma(): number {
    return this.logSigmaX ? this.logSigmaX.dataSync()[0] : NaN;
  }

  /**
   * Negative ELBO with one reparameterised sample z = μ + σ·ε (ε [n, latentDim] given).
   * @param beta weight of the KL term (1 = the ELBO)
   * @param freeBits nats per latent dimension the KL term does not charge ("free bits", Kingma et
   *   al. 2016, arXiv:1606.04934): the loss's KL is Σ_d max(freeBits, mean over the batch of KL_d),
   *   so a strong decoder cannot make the encoder ignore z (posterior collapse); 0 = the ELBO's KL.
   *   `kl` reports the uncharged KL.
   */
  loss(x: tf.Tensor2D, y: tf.Tensor2D, eps: tf.Tensor2D, beta: number, freeBits = 0): VaeLoss {
    return tf.tidy(() => {
      const { mu, logSigma } = this.encode(x, y);
      const z = tf.add(mu, tf.mul(tf.exp(logSigma), eps)) as tf.Tensor2D;
      const V = this.shape.voxels;
      let rec: tf.Tensor;
      if (drawsHits(this.shape.likelihood)) {
        rec = zeroInflatedNll(x, this.dec.apply(z, y));
      } else if (this.shape.likelihood === 'per-voxel') {
        rec = perVoxelNll(x, this.dec.apply(z, y));
      } else {
        const ls = this.logSigmaX!;
        const mean = this.decode(z, y);
        const invVar = tf.exp(tf.mul(-2, ls));
        const sq = tf.sum(tf.square(tf.sub(x, mean)), 1);
        rec = tf.add(tf.mul(tf.mul(0.5, invVar), sq), tf.mul(V, tf.add(ls, HALF_LOG_2PI)));
      }
      const klPerDim = tf.mul(0.5, tf.sub(tf.add(tf.square(mu), tf.exp(tf.mul(2, logSigma))), tf.add(1, tf.mul(2, logSigma))));
      const kl = tf.sum(klPerDim, 1);
      const reconstruction = tf.mean(rec) as tf.Scalar;
      const klMean = tf.mean(kl) as tf.Scalar;
      const charged = freeBits > 0 ? tf.sum(tf.maximum(tf.mean(klPerDim, 0), freeBits)) : klMean;
      return { loss: tf.add(reconstruction, tf.mul(beta, charged)) as tf.Scalar, reconstruction, kl: klMean };
    });
  }

  /** Mean squared reconstruction error per voxel using the encoder mean (CaloMan's early-stopping metric). */
  reconstructionError(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => tf.mean(tf.square(tf.sub(x, this.decode(this.encode(x, y).mu, y)))) as tf.Scalar);
  }

  /** Releases the weights. */
  dispose(): void {
    this.params.dispose();
  }
}
