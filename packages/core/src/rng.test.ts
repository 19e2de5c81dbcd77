import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

function moments(xs: number[]): { mean: number; variance: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1);
  return { mean, variance };
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
