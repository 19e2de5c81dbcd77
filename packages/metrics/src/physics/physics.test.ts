import { describe, expect, it } from 'vitest';
import { Rng } from '@calozoo/core';
import { frechetDistance, jacobiEigen, matmul, meanCov, pivotedCholesky, symmetricEigenvalues, symmetricSqrt, traceSqrtProduct } from './linalg.js';
import { fitNonNegativeLine, fpd, fpdBatchSizes } from './fpd.js';
import { kpd, mmdPolyUnbiased, percentile } from './kpd.js';

function randomSpd(d: number, rng: Rng): Float64Array {
  const a = new Float64Array(d * d);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  const at = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) at[i * d + j] = a[j * d + i];
  const s = matmul(a, at, d);
  for (let i = 0; i < d; i++) s[i * d + i] += 0.1;
  return s;
}

describe('Jacobi eigen-decomposition and matrix square root', () => {
  it('reconstructs A = V Λ Vᵀ with orthonormal V', () => {
    const d = 12;
    const A = randomSpd(d, new Rng(1));
    const { values, vectors: V } = jacobiEigen(A, d);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) {
        let rec = 0, dot = 0;
        for (let k = 0; k < d; k++) {
          rec += V[i * d + k] * values[k] * V[j * d + k];
          dot += V[k * d + i] * V[k * d + j];
        }
        expect(rec).toBeCloseTo(A[i * d + j], 10);
        expect(dot).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });
  it('sqrt(A)² = A', () => {
    const d = 9;
    const A = randomSpd(d, new Rng(2));
    const S = symmetricSqrt(A, d);
    const S2 = matmul(S, S, d);
    for (let i = 0; i < d * d; i++) expect(S2[i]).toBeCloseTo(A[i], 10);
  });
  it('meanCov matches the two-pass unbiased covariance', () => {
    const rng = new Rng(3);
    const n = 101, d = 3;
    const x = Float64Array.from({ length: n * d }, () => 5 + rng.normal());
    const { mean, cov } = meanCov(x, d);
    for (let i = 0; i < d; i++) {
      let m = 0;
      for (let r = 0; r < n; r++) m += x[r * d + i];
      m /= n;
      expect(mean[i]).toBeCloseTo(m, 12);
      for (let j = 0; j < d; j++) {
        let mj = 0;
        for (let r = 0; r < n; r++) mj += x[r * d + j];
        mj /= n;
        let c = 0;
        for (let r = 0; r < n; r++) c += (x[r * d + i] - m) * (x[r * d + j] - mj);
        expect(cov[i * d + j]).toBeCloseTo(c / (n - 1), 12);
      }
    }
  });
});

/** A random symmetric PSD d×d matrix of rank `rank` (G·Gᵀ with G d×rank), optionally one zero row/column. */
function randomPsd(d: number, rank: number, rng: Rng, zeroRow = -1): Float64Array {
  const g = Float64Array.from({ length: d * rank }, () => rng.normal());
  if (zeroRow >= 0) for (let k = 0; k < rank; k++) g[zeroRow * rank + k] = 0;
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) for (let k = 0; k < rank; k++) a[i * d + j] += g[i * rank + k] * g[j * rank + k];
  return a;
}

describe('pivoted Cholesky, tridiagonal eigenvalues and Tr sqrt(A^½ B A^½)', () => {
  const sorted = (v: Float64Array): number[] => [...v].sort((a, b) => a - b);
  it('eigenvalues equal the Jacobi ones for symmetric (indefinite) matrices of several sizes', () => {
    const rng = new Rng(11);
    for (const n of [1, 2, 3, 17, 60]) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rng.normal();
      const mine = sorted(symmetricEigenvalues(a, n));
      const ref = sorted(jacobiEigen(a, n).values);
      mine.forEach((v, i) => expect(v).toBeCloseTo(ref[i], 10));
    }
    // repeated eigenvalues and an already tridiagonal (diagonal) matrix
    const diag = Float64Array.from([2, 0, 0, 0, 2, 0, 0, 0, -1]);
    expect(sorted(symmetricEigenvalues(diag, 3))).toEqual([-1, 2, 2]);
  });
  it('L·Lᵀ reproduces full-rank and rank-deficient PSD matrices and finds the rank', () => {
    const rng = new Rng(12);
    for (const [d, rank, zero] of [[9, 9, -1], [8, 3, -1], [10, 4, 6]] as const) {
      const a = randomPsd(d, rank, rng, zero);
      const { l, rank: r } = pivotedCholesky(a, d);
      expect(r).toBe(rank);
      for (let i = 0; i < d; i++) {
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let k = 0; k < r; k++) s += l[i * r + k] * l[j * r + k];
          expect(s).toBeCloseTo(a[i * d + j], 9);
        }
      }
    }
  });
  it('Tr sqrt(A^½ B A^½) equals the Jacobi square-root calculation, also for singular A and B', () => {
    const rng = new Rng(13);
    for (const [d, ra, rb, zero] of [[12, 12, 12, -1], [12, 5, 12, -1], [15, 15, 4, 3], [7, 3, 2, 0]] as const) {
      const a = randomPsd(d, ra, rng, zero);
      const b = randomPsd(d, rb, rng);
      const s = symmetricSqrt(a, d);
      const { values } = jacobiEigen(matmul(matmul(s, b, d), s, d), d);
      const ref = [...values].reduce((t, v) => t + Math.sqrt(Math.max(0, v)), 0);
      // a zero eigenvalue computed as ±ε·scale contributes sqrt(ε·scale) ≈ 1e-7 to either side
      expect(traceSqrtProduct(a, b, d)).toBeCloseTo(ref, ra === d && rb === d ? 9 : 5);
    }
  });
});

describe('Fréchet distance and FPD (§2.5)', () => {
  it('equals |Δμ|² + Σ(σ1 − σ2)² for diagonal covariances', () => {
    const d = 3;
    const diag = (v: number[]): Float64Array => {
      const m = new Float64Array(d * d);
      v.forEach((x, i) => (m[i * d + i] = x));
      return m;
    };
    const a = { mean: Float64Array.from([0, 1, 2]), cov: diag([1, 4, 9]) };
    const b = { mean: Float64Array.from([1, 1, 0]), cov: diag([4, 4, 1]) };
    expect(frechetDistance(a, b, d)).toBeCloseTo(1 + 4 + (1 + 0 + 4), 10);
  });
  it('batch sizes are jetnet’s: 1/N evenly spaced between 1/10 000 and 1/50 000', () => {
    // (1 / np.linspace(1/10000, 1/50000, 10)).astype('int32') in NumPy 1.24
    expect(fpdBatchSizes(121_000)).toEqual([10000, 10975, 12162, 13636, 15517, 18000, 21428, 26470, 34615, 49999]);
    expect(fpdBatchSizes(5000)).toEqual(expect.arrayContaining([1000, 5000]));
  });
  it('fits a + b/N exactly and clips to a, b ≥ 0', () => {
    const x = [1, 2, 3, 4].map((v) => v / 10);
    const f = fitNonNegativeLine(x, x.map((v) => 0.5 + 2 * v));
    expect(f.a).toBeCloseTo(0.5, 12);
    expect(f.b).toBeCloseTo(2, 12);
    expect(f.aError).toBeCloseTo(0, 12);
    const g = fitNonNegativeLine(x, x.map((v) => -0.1 + v));
    expect(g.a).toBe(0);
    expect(g.b).toBeGreaterThan(0);
  });
  it('is deterministic for a seed and independent of the thread count', async () => {
    const rng = new Rng(4);
    const m = { n: 400, d: 2, data: Float64Array.from({ length: 800 }, () => rng.normal()), names: ['a', 'b'] };
    const o = { minSamples: 50, maxSamples: 200, repetitions: 3 };
    const one = await fpd(m, m, { ...o, threads: 1 });
    expect(await fpd(m, m, { ...o, threads: 2 })).toEqual(one);
    expect(await fpd(m, m, { ...o, seed: 43, threads: 1 })).not.toEqual(one);
  });
});

describe('KPD (§2.5)', () => {
  it('moment expansion equals the direct pair sum', () => {
    const rng = new Rng(5);
    const d = 5;
    const x = Float64Array.from({ length: 60 * d }, () => rng.uniform());
    const y = Float64Array.from({ length: 45 * d }, () => rng.uniform() * 1.1);
    const xi = Uint32Array.from({ length: 37 }, () => rng.int(60));
    const yi = Uint32Array.from({ length: 41 }, () => rng.int(45));
    const a = mmdPolyUnbiased(x, xi, y, yi, d, 'moments');
    const b = mmdPolyUnbiased(x, xi, y, yi, d, 'direct');
    expect(a).toBeCloseTo(b, 12);
    expect(a).toBeGreaterThan(0);
  });
  it('percentiles interpolate linearly (NumPy default)', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([0, 10], 16.275)).toBeCloseTo(1.6275, 12);
  });
  it('is deterministic, thread-independent, path-independent and uses the median of the batches', async () => {
    const rng = new Rng(6);
    const m = { n: 300, d: 3, data: Float64Array.from({ length: 900 }, () => rng.uniform()), names: ['a', 'b', 'c'] };
    const r = await kpd(m, m, { batchSize: 100, batches: 5, threads: 1 });
    expect(await kpd(m, m, { batchSize: 100, batches: 5, threads: 2 })).toEqual(r);
    const direct = await kpd(m, m, { batchSize: 100, batches: 5, method: 'direct' });
    direct.perBatch.forEach((v, i) => expect(v).toBeCloseTo(r.perBatch[i], 12));
    // 299 rows: the direct sums are split into 4 row ranges per worker task, with ragged 4×4 tiles
    const g = { ...m, data: m.data.map((v, i) => v * (1 + 0.2 * (i % 3))) };
    const moments = await kpd(m, g, { batchSize: 299, batches: 3, method: 'moments', threads: 1 });
    const split = await kpd(m, g, { batchSize: 299, batches: 3, method: 'direct', threads: 2 });
    split.perBatch.forEach((v, i) => expect(v).toBeCloseTo(moments.perBatch[i], 12));
    expect(moments.value).toBeGreaterThan(1e-4);
    expect(r.value).toBe(percentile(r.perBatch, 50));
  });
});
