/**
 * GANplifying quantile MSE (field-reference.md §2.7) against its analytic expectation
 * E[MSE] = (1/N_q)(1 − 1/N_q)/N for true samples, on the camel-back toy and per observable.
 */
import { describe, expect, it } from 'vitest';
import { Rng, getGeometry } from '@calozoo/core';
import {
  DEFAULT_CAMEL_BACK,
  amplificationStudy,
  camelBackCdf,
  camelBackQuantile,
  equivalentEvents,
  expectedQuantileMse,
  normalCdf,
  observableQuantileMse,
  quantileEdges,
  quantileMse,
  sampleCamelBack,
  showerQuantileMse,
} from '../../src/amplify/index.js';
import { FeatureExtractor } from '../../src/features/extractor.js';
import { toyShowers } from '../toy-showers.js';

function meanOf(v: number[]): number {
  return v.reduce((a, b) => a + b, 0) / v.length;
}

describe('camel back', () => {
  it('has quantile cells of equal probability', () => {
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6);
    const edges = quantileEdges((p) => camelBackQuantile(p), 10);
    edges.forEach((e, k) => expect(camelBackCdf(e)).toBeCloseTo((k + 1) / 10, 9));
    expect(edges[4]).toBeCloseTo(0, 9); // symmetric mixture: the median is 0
    // A large sample puts ≈ 1/N_q in each cell.
    const big = sampleCamelBack(new Rng(1), 200_000);
    expect(quantileMse(big, edges)).toBeLessThan(5 * expectedQuantileMse(10, 200_000));
  });
});

describe('quantile MSE', () => {
  it('matches E[MSE] = (1/N_q)(1 − 1/N_q)/N for true samples (mean of 400 repetitions within 10 %)', () => {
    const rng = new Rng(2);
    for (const [nq, n] of [[10, 500], [20, 2000], [5, 100]] as const) {
      const edges = quantileEdges((p) => camelBackQuantile(p), nq);
      const m = meanOf(Array.from({ length: 400 }, () => quantileMse(sampleCamelBack(rng, n), edges)));
      // The relative standard error of the mean is about sqrt(2/(N_q − 1))/20 ≤ 3.6 %.
      expect(m / expectedQuantileMse(nq, n)).toBeGreaterThan(0.9);
      expect(m / expectedQuantileMse(nq, n)).toBeLessThan(1.1);
    }
    expect(equivalentEvents(expectedQuantileMse(10, 1234), 10)).toBeCloseTo(1234, 9);
  });

  it('finds no amplification for a true-sample generator and a plateau for a biased one', () => {
    const nq = 10;
    const edges = quantileEdges((p) => camelBackQuantile(p), nq);
    const training = sampleCamelBack(new Rng(3), 1000);
    const exact = amplificationStudy((rng, n) => sampleCamelBack(rng, n), training, edges, { sizes: [1000, 10_000], repetitions: 100, seed: 4 });
    for (const p of exact.points) {
      expect(p.equivalentEvents / p.n).toBeGreaterThan(0.85);
      expect(p.equivalentEvents / p.n).toBeLessThan(1.15);
    }
    // A generator with slightly shifted humps: MSE flattens at the bias, (Σ (P_j − 1/N_q)²)/N_q.
    const biased = { ...DEFAULT_CAMEL_BACK, means: [-3.9, 4.1] as [number, number] };
    const cdfAt = (x: number): number => camelBackCdf(x, biased);
    const P = Array.from({ length: nq }, (_, j) => (j === nq - 1 ? 1 : cdfAt(edges[j])) - (j === 0 ? 0 : cdfAt(edges[j - 1])));
    const bias = P.reduce((a, p) => a + (p - 1 / nq) ** 2, 0) / nq;
    const r = amplificationStudy((rng, n) => sampleCamelBack(rng, n, biased), training, edges, { sizes: [100, 100_000], repetitions: 20, seed: 5 });
    const last = r.points[1];
    expect(last.mse / (bias + expectedQuantileMse(nq, 100_000))).toBeGreaterThan(0.8);
    expect(last.mse / (bias + expectedQuantileMse(nq, 100_000))).toBeLessThan(1.25);
    expect(last.equivalentEvents).toBeLessThan(0.5 * last.n);
    expect(r.trainingEvents).toBe(1000);
    expect(r.amplification).toBeCloseTo(Math.max(...r.points.map((p) => p.equivalentEvents)) / 1000, 12);
  });

  it('per observable: matches (1/N_q)(1 − 1/N_q)(1/M + 1/N) with an empirical reference', () => {
    const rng = new Rng(6);
    const nq = 10, N = 5000, M = 1000;
    const v = Array.from({ length: 200 }, () => observableQuantileMse(sampleCamelBack(rng, N), sampleCamelBack(rng, M), nq).mse);
    const expected = ((1 / nq) * (1 - 1 / nq)) * (1 / M + 1 / N);
    expect(meanOf(v) / expected).toBeGreaterThan(0.88);
    expect(meanOf(v) / expected).toBeLessThan(1.12);
    const one = observableQuantileMse(sampleCamelBack(rng, N), sampleCamelBack(rng, M), nq, 'x');
    expect(one.expectedSameDistribution).toBeCloseTo(expected, 12);
    expect(one.cells).toBe(nq);
  });

  it('per observable on showers: larger MSE for a distorted simulation', () => {
    const g = getGeometry('calochallenge-1-photons');
    const table = (seed: number, shift: number) => {
      const ex = new FeatureExtractor(g);
      ex.consume(toyShowers(g, { n: 1000, seed, shift }));
      return ex.finish();
    };
    const ref = table(61, 0);
    const same = showerQuantileMse(ref, table(62, 0), 10, ['E_dep/E_inc', 'm1_z']);
    const off = showerQuantileMse(ref, table(62, 2), 10, ['E_dep/E_inc', 'm1_z']);
    expect(same.map((r) => r.name)).toEqual(['E_dep/E_inc', 'm1_z']);
    for (let i = 0; i < 2; i++) {
      expect(same[i].mse).toBeLessThan(4 * same[i].expectedSameDistribution);
      expect(off[i].mse).toBeGreaterThan(5 * off[i].expectedSameDistribution);
    }
  });
});
