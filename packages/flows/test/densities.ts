/**
 * Test densities with closed-form log-densities: two moons written as an equal-weight mixture of
 * isotropic Gaussians along the two arcs, and a correlated Gaussian mixture.
 */
import { Rng } from '@calozoo/core';

const LOG_2PI = Math.log(2 * Math.PI);

/** A Gaussian mixture with full covariances, sampled and evaluated in float64. */
export class GaussianMixture {
  readonly dim: number;
  private readonly chol: Float64Array[];
  private readonly prec: Float64Array[];
  private readonly logNorm: number[];

  /** Components: weights, means, covariances (row-major d×d). */
  constructor(
    readonly weights: number[],
    readonly means: number[][],
    covs: number[][],
  ) {
    this.dim = means[0].length;
    const d = this.dim;
    this.chol = covs.map((c) => cholesky(Float64Array.from(c), d));
    this.prec = covs.map((c) => invert(Float64Array.from(c), d));
    this.logNorm = this.chol.map((l, k) => {
      let ld = 0;
      for (let i = 0; i < d; i++) ld += Math.log(l[i * d + i]);
      return Math.log(weights[k]) - 0.5 * d * LOG_2PI - ld;
    });
  }

  /** n samples, row-major. */
  sample(n: number, rng: Rng): Float32Array {
    const d = this.dim;
    const out = new Float32Array(n * d);
    const z = new Float64Array(d);
    for (let s = 0; s < n; s++) {
      let u = rng.uniform();
      let k = 0;
      while (k < this.weights.length - 1 && u >= this.weights[k]) u -= this.weights[k++];
      for (let i = 0; i < d; i++) z[i] = rng.normal();
      const l = this.chol[k];
      for (let i = 0; i < d; i++) {
        let v = this.means[k][i];
        for (let j = 0; j <= i; j++) v += l[i * d + j] * z[j];
        out[s * d + i] = v;
      }
    }
    return out;
  }

  /** log p(x) of each row. */
  logProb(x: Float32Array): Float64Array {
    const d = this.dim;
    const n = x.length / d;
    const out = new Float64Array(n);
    const terms = new Float64Array(this.weights.length);
    const r = new Float64Array(d);
    for (let s = 0; s < n; s++) {
      for (let k = 0; k < this.weights.length; k++) {
        for (let i = 0; i < d; i++) r[i] = x[s * d + i] - this.means[k][i];
        let q = 0;
        const p = this.prec[k];
        for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) q += r[i] * p[i * d + j] * r[j];
        terms[k] = this.logNorm[k] - 0.5 * q;
      }
      const m = Math.max(...terms);
      let z = 0;
      for (const t of terms) z += Math.exp(t - m);
      out[s] = m + Math.log(z);
    }
    return out;
  }
}

function cholesky(a: Float64Array, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = i === j ? Math.sqrt(s) : s / l[j * n + j];
    }
  }
  return l;
}

function invert(a: Float64Array, n: number): Float64Array {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]) > Math.abs(m[p * n + c])) p = r;
    for (let j = 0; j < n; j++) {
      [m[c * n + j], m[p * n + j]] = [m[p * n + j], m[c * n + j]];
      [inv[c * n + j], inv[p * n + j]] = [inv[p * n + j], inv[c * n + j]];
    }
    const piv = m[c * n + c];
    for (let j = 0; j < n; j++) {
      m[c * n + j] /= piv;
      inv[c * n + j] /= piv;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c];
      for (let j = 0; j < n; j++) {
        m[r * n + j] -= f * m[c * n + j];
        inv[r * n + j] -= f * inv[c * n + j];
      }
    }
  }
  return inv;
}

/**
 * Two moons: `perMoon` isotropic Gaussians of width `sigma` at equal angular steps along the arcs
 * (cos θ, sin θ) and (1 − cos θ, 0.5 − sin θ), θ ∈ [0, π], centred on the origin.
 */
export function twoMoons(perMoon = 24, sigma = 0.12): GaussianMixture {
  const means: number[][] = [];
  for (let j = 0; j < perMoon; j++) {
    const t = (Math.PI * j) / (perMoon - 1);
    means.push([Math.cos(t) - 0.5, Math.sin(t) - 0.25]);
    means.push([0.5 - Math.cos(t), 0.25 - Math.sin(t)]);
  }
  const cov = [sigma * sigma, 0, 0, sigma * sigma];
  return new GaussianMixture(
    means.map(() => 1 / means.length),
    means,
    means.map(() => cov),
  );
}

/**
 * An 8-D mixture of two Gaussians (weights 0.6, 0.4) with means ±1.5·u along a random unit
 * direction u and random correlated covariances 0.5·(A Aᵀ/d + 0.1 I).
 */
export function correlatedMixture(dim = 8, seed = 11): GaussianMixture {
  const rng = new Rng(seed);
  const u = Array.from({ length: dim }, () => rng.normal());
  const norm = Math.hypot(...u);
  const means = [u.map((v) => (1.5 * v) / norm), u.map((v) => (-1.5 * v) / norm)];
  const covs: number[][] = [];
  for (let k = 0; k < 2; k++) {
    const a = Array.from({ length: dim * dim }, () => rng.normal());
    const c: number[] = [];
    for (let i = 0; i < dim; i++) {
      for (let j = 0; j < dim; j++) {
        let s = i === j ? 0.1 : 0;
        for (let m = 0; m < dim; m++) s += (a[i * dim + m] * a[j * dim + m]) / dim;
        c.push(0.5 * s);
      }
    }
    covs.push(c);
  }
  return new GaussianMixture([0.6, 0.4], means, covs);
}
