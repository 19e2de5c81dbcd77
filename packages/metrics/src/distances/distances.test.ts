import { describe, expect, it } from 'vitest';
import { Rng } from '@calozoo/core';
import { areaDifference, fidelityScore, jensenShannon, separationPower } from './histogram-distances.js';
import { wasserstein1 } from './wasserstein.js';
import { mu90 } from './resolution.js';

describe('separation power (field-reference §2.3)', () => {
  it('is 0 for identical shapes (any normalisation) and 1 for disjoint histograms', () => {
    expect(separationPower([1, 2, 3], [10, 20, 30])).toBeCloseTo(0, 15);
    expect(separationPower([5, 0, 0], [0, 0, 7])).toBeCloseTo(1, 12);
  });
  it('matches the hand calculation ½Σ(h−g)²/(h+g)', () => {
    // h = (0.5, 0.5), g = (0.25, 0.75): ½(0.0625/0.75 + 0.0625/1.25) = 1/15
    expect(separationPower([1, 1], [1, 3])).toBeCloseTo(1 / 15, 14);
  });
});

describe('Jensen–Shannon distance and area difference (§2.7)', () => {
  it('JSD is sqrt(ln 2) for disjoint and 0 for equal histograms', () => {
    expect(jensenShannon([1, 0], [0, 1])).toBeCloseTo(Math.sqrt(Math.LN2), 14);
    expect(jensenShannon([2, 3], [4, 6])).toBeCloseTo(0, 14);
  });
  it('JSD of (1,0) vs (½,½) by hand', () => {
    const m = [0.75, 0.25];
    const js = 0.5 * (1 * Math.log(1 / m[0])) + 0.5 * (0.5 * Math.log(0.5 / m[0]) + 0.5 * Math.log(0.5 / m[1]));
    expect(jensenShannon([1, 0], [1, 1])).toBeCloseTo(Math.sqrt(js), 14);
  });
  it('area difference is ½Σ|p−q|', () => {
    expect(areaDifference([1, 1], [1, 3])).toBeCloseTo(0.25, 14);
  });
  it('fidelity score is relative to the compared set', () => {
    expect(fidelityScore({ a: { x: 0.3, y: 0.1 } })).toEqual({ a: 1 });
    const s = fidelityScore({ a: { x: 0.1, y: 0.2 }, b: { x: 0.3, y: 0.2 } });
    expect(s.a).toBeCloseTo((0.5 + 1) / 2, 14);
    expect(s.b).toBeCloseTo((1.5 + 1) / 2, 14);
  });
});

describe('Wasserstein-1', () => {
  it('of a sample and its shifted copy equals the shift', () => {
    const rng = new Rng(3);
    const u = Array.from({ length: 1000 }, () => rng.normal());
    expect(wasserstein1(u, u.map((v) => v + 0.37))).toBeCloseTo(0.37, 12);
  });
  it('handles unequal sizes: {0} vs {0, 1} is ½', () => {
    expect(wasserstein1([0], [0, 1])).toBeCloseTo(0.5, 15);
    expect(wasserstein1([0, 0, 3], [1])).toBeCloseTo((2 / 3) * 1 + (1 / 3) * 2, 14);
  });
});

describe('μ90 / σ90 (§5.3)', () => {
  it('on 0..99 picks the first of equal-width windows: 0..89', () => {
    const r = mu90(Array.from({ length: 100 }, (_, i) => 99 - i));
    expect(r.n90).toBe(90);
    expect(r.mu90).toBeCloseTo(44.5, 12);
    expect(r.sigma90).toBeCloseTo(Math.sqrt((90 * 90 - 1) / 12), 12);
    expect(r.mu90Error).toBeCloseTo(r.sigma90 / Math.sqrt(90), 14);
    expect(r.sigma90Error).toBeCloseTo(r.sigma90 / Math.sqrt(180), 14);
  });
  it('excludes a 10 % tail of outliers', () => {
    const core = Array.from({ length: 90 }, (_, i) => 10 + (i % 9) * 0.01);
    const r = mu90([...core, ...Array.from({ length: 10 }, (_, i) => 100 + i)]);
    const m = core.reduce((a, b) => a + b, 0) / 90;
    expect(r.mu90).toBeCloseTo(m, 12);
    expect(r.sigma90).toBeCloseTo(Math.sqrt(core.reduce((a, b) => a + (b - m) ** 2, 0) / 90), 12);
  });
});
