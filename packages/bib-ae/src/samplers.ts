/**
 * The latent samplers of the BIB-AE behind core's `Sampler` (field-reference.md §4.1, §4.3):
 * - `NormalSampler`: N(0, 1), what the latent regularisers push the encoder's latents towards;
 * - `KdeSampler`: a Gaussian kernel density estimate of encoded training latents ("Decoding
 *   Photons", arXiv:2102.12491), drawn by picking a stored latent at random and adding a kernel
 *   draw. The kernel covariance is the data covariance times factor², factor = Scott's
 *   n^(−1/(d+4)) or Silverman's (n(d + 2)/4)^(−1/(d+4)) — SciPy `gaussian_kde`'s rules — so a
 *   draw has mean = the data mean and covariance (1 + factor²)·Σ;
 * - the flow sampler lives in the model (`model.ts`): a conditional spline flow from
 *   @calozoo/flows on [latent, energy sum], which also runs inside the ONNX generation graph.
 */
import { InvalidArgumentError, type Rng, type Sampler } from '@calozoo/core';

/** Standard normal latents. */
export class NormalSampler implements Sampler {
  /** `normal`. */
  readonly kind = 'normal';

  /** A sampler of `dim` dimensions. */
  constructor(readonly dim: number) {}

  /** n·dim standard normal numbers in row order. */
  sample(n: number, rng: Rng): Float32Array {
    return rng.fillNormal(new Float32Array(n * this.dim)) as Float32Array;
  }
}

/** Bandwidth rules of `KdeSampler`. */
export type BandwidthRule = 'scott' | 'silverman';

/** The KDE bandwidth factor of a rule for n points in d dimensions (SciPy's definitions). */
export function bandwidthFactor(rule: BandwidthRule, n: number, d: number): number {
  return rule === 'scott' ? Math.pow(n, -1 / (d + 4)) : Math.pow((n * (d + 2)) / 4, -1 / (d + 4));
}

/** Sample covariance (divisor n − 1) of n rows of d values, row-major [d·d]. */
export function covariance(x: Float32Array, n: number, d: number): Float64Array {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const da = x[i * d + a]! - mean[a]!;
      for (let b = 0; b <= a; b++) cov[a * d + b]! += (da * (x[i * d + b]! - mean[b]!)) / Math.max(1, n - 1);
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[b * d + a] = cov[a * d + b]!;
  return cov;
}

/** Lower Cholesky factor L (L·Lᵀ = m) of a symmetric positive semi-definite [d·d] matrix; a tiny jitter keeps it defined. */
export function cholesky(m: Float64Array, d: number): Float64Array {
  let trace = 0;
  for (let a = 0; a < d; a++) trace += m[a * d + a]!;
  const jitter = 1e-10 * Math.max(1e-30, trace / d);
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i * d + j]! + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) s -= L[i * d + k]! * L[j * d + k]!;
      L[i * d + j] = i === j ? Math.sqrt(Math.max(s, 0)) : L[j * d + j]! > 0 ? s / L[j * d + j]! : 0;
    }
  }
  return L;
}

/** A Gaussian KDE of stored latents. */
export class KdeSampler implements Sampler {
  /** `kde`. */
  readonly kind = 'kde';
  /** The bandwidth factor (multiplies the data's standard deviations). */
  readonly factor: number;
  private readonly chol: Float64Array;
  private readonly n: number;

  /** A KDE of the `points` [n·dim] with the rule's bandwidth. */
  constructor(readonly points: Float32Array, readonly dim: number, readonly rule: BandwidthRule = 'scott') {
    this.n = Math.floor(points.length / dim);
    if (this.n < 2 || this.n * dim !== points.length) throw new InvalidArgumentError(`KdeSampler: needs at least 2 points of ${dim} values, got ${points.length} values`);
    this.factor = bandwidthFactor(rule, this.n, dim);
    const cov = covariance(points, this.n, dim);
    for (let i = 0; i < cov.length; i++) cov[i]! *= this.factor * this.factor;
    this.chol = cholesky(cov, dim);
  }

  /** n draws: a uniformly chosen stored point plus L·ε (ε standard normal), in row order. */
  sample(n: number, rng: Rng): Float32Array {
    const d = this.dim;
    const out = new Float32Array(n * d);
    const eps = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      const p = rng.int(this.n);
      rng.fillNormal(eps);
      for (let a = 0; a < d; a++) {
        let s = this.points[p * d + a]!;
        for (let b = 0; b <= a; b++) s += this.chol[a * d + b]! * eps[b]!;
        out[i * d + a] = s;
      }
    }
    return out;
  }
}
