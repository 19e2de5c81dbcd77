import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
}

/** erf(x) to ~1e-7 (Abramowitz & Stegun 7.1.26 is too coarse for KS at 2e5 samples, so use a series/continued fraction). */
function erf(x: number): number {
  const t = Math.abs(x);
  if (t < 3) {
    // Maclaurin series, converges fast for |x| < 3.
    let term = t, sum = t;
    for (let k = 1; k < 200; k++) {
      term *= (-t * t) / k;
      const add = term / (2 * k + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // Continued fraction for erfc at large |x|.
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (t + f);
  return Math.sign(x) * (1 - Math.exp(-t * t) / Math.sqrt(Math.PI) / (t + f));
}

describe('Rng', () => {
  it('is reproducible for the same seed and differs between seeds and streams', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const d = new Rng(42, 1);
    const xa = Array.from({ length: 8 }, () => a.nextUint32());
    const xb = Array.from({ length: 8 }, () => b.nextUint32());
    const xc = Array.from({ length: 8 }, () => c.nextUint32());
    const xd = Array.from({ length: 8 }, () => d.nextUint32());
    expect(xa).toEqual(xb);
    expect(xa).not.toEqual(xc);
    expect(xa).not.toEqual(xd);
  });

  it('uniform draws have mean 1/2 and variance 1/12', () => {
    const r = new Rng(1);
    const xs = Array.from({ length: 200_000 }, () => r.uniform());
    const m = moments(xs);
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.variance).toBeCloseTo(1 / 12, 3);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('normal draws have mean 0, variance 1 and normal tails', () => {
    const r = new Rng(2);
    const xs = Array.from({ length: 200_000 }, () => r.normal());
    const m = moments(xs);
    expect(Math.abs(m.mean)).toBeLessThan(0.01);
    expect(m.variance).toBeCloseTo(1, 1);
    const beyond2 = xs.filter((x) => Math.abs(x) > 2).length / xs.length;
    expect(beyond2).toBeCloseTo(0.0455, 2);
  });

  it.each([0.5, 1, 3.7, 20])('gamma(k=%f) has mean k·θ and variance k·θ²', (k) => {
    const r = new Rng(3);
    const theta = 2;
    const xs = Array.from({ length: 100_000 }, () => r.gamma(k, theta));
    const m = moments(xs);
    expect(m.mean / (k * theta)).toBeCloseTo(1, 1);
    expect(m.variance / (k * theta * theta)).toBeGreaterThan(0.95);
    expect(m.variance / (k * theta * theta)).toBeLessThan(1.05);
  });

  it.each([0.3, 4, 12, 150, 5000])('poisson(%f) has mean and variance lambda', (lambda) => {
    const r = new Rng(4);
    const xs = Array.from({ length: 100_000 }, () => r.poisson(lambda));
    const m = moments(xs);
    expect(Math.abs(m.mean - lambda)).toBeLessThan(5 * Math.sqrt(lambda / xs.length) + 1e-9);
    expect(m.variance / lambda).toBeGreaterThan(0.97);
    expect(m.variance / lambda).toBeLessThan(1.03);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
  });

  it('fillNormal gives exactly the values of repeated normal() calls, spare included', () => {
    for (const lengths of [[1], [7], [8, 3], [5, 5, 1], [0, 4], [1000]]) {
      const fast = new Rng(42, 3);
      const slow = new Rng(42, 3);
      slow.normal();
      fast.normal(); // leaves a spare normal for the first fill
      for (const n of lengths) {
        const got = fast.fillNormal(new Float64Array(n));
        const want = Float64Array.from({ length: n }, () => slow.normal());
        expect(Array.from(got)).toEqual(Array.from(want));
      }
      expect(fast.normal()).toBe(slow.normal());
      expect(fast.nextUint32()).toBe(slow.nextUint32());
    }
  });

  it('fillNormalZiggurat draws standard normals: moments, KS distance, tails beyond 3 and 4 sigma', () => {
    const n = 2_000_000;
    const x = new Rng(9, 1).fillNormalZiggurat(new Float64Array(n));
    let m1 = 0, m2 = 0, m3 = 0, m4 = 0, over3 = 0, over4 = 0;
    for (const v of x) {
      m1 += v; m2 += v * v; m3 += v * v * v; m4 += v * v * v * v;
      if (Math.abs(v) > 3) over3++;
      if (Math.abs(v) > 4) over4++;
    }
    expect(Math.abs(m1 / n)).toBeLessThan(5 * Math.sqrt(1 / n));
    expect(Math.abs(m2 / n - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
    expect(Math.abs(m3 / n)).toBeLessThan(5 * Math.sqrt(15 / n));
    expect(Math.abs(m4 / n - 3)).toBeLessThan(5 * Math.sqrt(96 / n));
    // Two-sided tail probabilities 2.700e-3 and 6.334e-5, within 5 binomial sigma.
    const within = (k: number, p: number) => Math.abs(k - n * p) < 5 * Math.sqrt(n * p * (1 - p));
    expect(within(over3, 2.6998e-3)).toBe(true);
    expect(within(over4, 6.3342e-5)).toBe(true);
    // Kolmogorov–Smirnov distance to Φ on a sorted subsample (critical value at 1e-3: 1.95/√m).
    const m = 200_000;
    const s = Float64Array.from(x.subarray(0, m)).sort();
    let dMax = 0;
    for (let i = 0; i < m; i++) {
      const cdf = 0.5 * (1 + erf(s[i] / Math.SQRT2));
      dMax = Math.max(dMax, Math.abs(cdf - i / m), Math.abs(cdf - (i + 1) / m));
    }
    expect(dMax).toBeLessThan(1.95 / Math.sqrt(m));
    // Filling in pieces continues the same stream (generation noise must not depend on the batch size).
    const pieces = new Rng(9, 1);
    const joined = [5000, 1, 77_777, 3].flatMap((len) => Array.from(pieces.fillNormalZiggurat(new Float64Array(len))));
    expect(joined).toEqual(Array.from(x.subarray(0, joined.length)));
    // Same seed, same values; not the polar method's stream.
    expect(Array.from(new Rng(9, 1).fillNormalZiggurat(new Float64Array(5)))).toEqual(Array.from(x.subarray(0, 5)));
    expect(new Rng(9, 1).normal()).not.toBe(x[0]);
  });

  it('poisson probabilities match the pmf at lambda = 15', () => {
    const r = new Rng(5);
    const n = 200_000;
    const counts = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const k = r.poisson(15);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    let logp = -15;
    for (let k = 0; k <= 30; k++) {
      if (k > 0) logp += Math.log(15 / k);
      const p = Math.exp(logp);
      const got = (counts.get(k) ?? 0) / n;
      expect(Math.abs(got - p)).toBeLessThan(5 * Math.sqrt(p / n) + 1e-4);
    }
  });

  it('permutation is a permutation and state round-trips', () => {
    const r = new Rng(6);
    const p = Array.from(r.permutation(100)).sort((a, b) => a - b);
    expect(p).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const s = r.getState();
    const x = r.uniform();
    r.setState(s);
    expect(r.uniform()).toBe(x);
  });

  it('rejects bad arguments', () => {
    expect(() => new Rng(1.5)).toThrow(/seed/);
    expect(() => new Rng(1).gamma(-1)).toThrow(/shape/);
    expect(() => new Rng(1).poisson(Number.NaN)).toThrow(/lambda/);
  });
});
