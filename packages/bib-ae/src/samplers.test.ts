/**
 * The samplers against independent calculations: the bandwidth rules (SciPy's formulas), the
 * Cholesky factor (L·Lᵀ reproduces the matrix), and the KDE's draws, whose mean is the data mean
 * and whose covariance is (1 + factor²) times the data covariance.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '@calozoo/core';
import { KdeSampler, NormalSampler, bandwidthFactor, cholesky, covariance } from './samplers.js';

describe('bandwidth rules', () => {
  it("are Scott's n^(−1/(d+4)) and Silverman's (n(d+2)/4)^(−1/(d+4))", () => {
    expect(bandwidthFactor('scott', 1000, 2)).toBeCloseTo(1000 ** (-1 / 6), 12);
    expect(bandwidthFactor('silverman', 1000, 2)).toBeCloseTo(1000 ** (-1 / 6), 12); // (d + 2)/4 = 1 for d = 2
    expect(bandwidthFactor('silverman', 1000, 6)).toBeCloseTo((1000 * 2) ** (-1 / 10), 12);
  });
});

describe('cholesky', () => {
  it('reproduces a covariance matrix', () => {
    const m = Float64Array.of(4, 2, 0.4, 2, 3, 0.5, 0.4, 0.5, 2);
    const L = cholesky(m, 3);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += L[i * 3 + k]! * L[j * 3 + k]!;
        expect(s).toBeCloseTo(m[i * 3 + j]!, 8);
      }
    }
  });
});

describe('KdeSampler', () => {
  it('draws with the data mean and (1 + factor²) times the data covariance', () => {
    const n = 400;
    const d = 2;
    const rng = new Rng(1);
    const pts = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const a = rng.normal();
      const b = rng.normal();
      pts[i * 2] = 3 + 2 * a;
      pts[i * 2 + 1] = -1 + a + 0.5 * b;
    }
    const kde = new KdeSampler(pts, d, 'scott');
    expect(kde.factor).toBeCloseTo(n ** (-1 / 6), 10);
    const m = 200_000;
    const draws = kde.sample(m, new Rng(2));
    const dataCov = covariance(pts, n, d);
    const drawCov = covariance(draws, m, d);
    const mean = (x: Float32Array, k: number, j: number): number => {
      let s = 0;
      for (let i = 0; i < k; i++) s += x[i * d + j]!;
      return s / k;
    };
    for (let j = 0; j < d; j++) expect(mean(draws, m, j)).toBeCloseTo(mean(pts, n, j), 1);
    // Resampling the stored points adds their covariance·(n − 1)/n; the kernels add factor²·covariance.
    for (let k = 0; k < d * d; k++) expect(drawCov[k]!).toBeCloseTo(dataCov[k]! * ((n - 1) / n + kde.factor ** 2), 1);
  });

  it('refuses fewer than two points', () => {
    expect(() => new KdeSampler(new Float32Array(3), 3)).toThrow(/at least 2 points/);
  });
});

describe('NormalSampler', () => {
  it('draws standard normal numbers in row order, seeded', () => {
    const s = new NormalSampler(3);
    const a = s.sample(4, new Rng(5));
    expect(a).toHaveLength(12);
    expect(Array.from(a)).toEqual(Array.from(new Rng(5).fillNormal(new Float32Array(12))));
  });
});
