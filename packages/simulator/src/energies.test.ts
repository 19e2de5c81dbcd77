import { Rng } from '@calozoo/core';
import { describe, expect, it } from 'vitest';
import { DS1_ENERGIES_MEV, DS1_PHOTON_COUNTS, DS1_PION_COUNTS, sampleIncidentEnergies, sampleTheta, ANGULAR_THETA_RANGE } from './energies.js';

describe('incident energies', () => {
  it('dataset-1 tables hold the official file sizes', () => {
    expect(DS1_PHOTON_COUNTS.reduce((a, b) => a + b)).toBe(121000);
    expect(DS1_PION_COUNTS.reduce((a, b) => a + b)).toBe(120800);
    expect(DS1_ENERGIES_MEV[0]).toBe(256);
    expect(DS1_ENERGIES_MEV[14]).toBe(4194304);
  });

  it('dataset 1 draws the 15 energies with the real proportions (chi-square)', () => {
    const n = 121000;
    const e = sampleIncidentEnergies('ds1-photons', n, new Rng(11));
    const counts = new Map<number, number>();
    for (const x of e) counts.set(x, (counts.get(x) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([...DS1_ENERGIES_MEV]);
    let chi2 = 0;
    DS1_ENERGIES_MEV.forEach((E, i) => {
      const expected = DS1_PHOTON_COUNTS[i];
      chi2 += ((counts.get(E) ?? 0) - expected) ** 2 / expected;
    });
    // 14 degrees of freedom: the 99.9 % quantile is 36.1
    expect(chi2).toBeLessThan(36.1);
  });

  it('datasets 2/3 are log-uniform in 1 GeV – 1 TeV (Kolmogorov–Smirnov)', () => {
    const n = 20000;
    const e = Float64Array.from(sampleIncidentEnergies('ds2', n, new Rng(5))).sort();
    let d = 0;
    for (let i = 0; i < n; i++) {
      const cdf = Math.log(e[i] / 1000) / Math.log(1000);
      d = Math.max(d, Math.abs(cdf - i / n), Math.abs(cdf - (i + 1) / n));
    }
    // KS critical value at 1 %: 1.63/√n
    expect(d).toBeLessThan(1.63 / Math.sqrt(n));
    expect(e[0]).toBeGreaterThanOrEqual(1000);
    expect(e[n - 1]).toBeLessThanOrEqual(1e6);
  });

  it('ILD grids are uniform in 10–100 GeV and the angular grid draws a tilt', () => {
    const e = sampleIncidentEnergies('ild-ecal', 5000, new Rng(2));
    const mean = e.reduce((a, b) => a + b) / e.length;
    expect(Math.min(...e)).toBeGreaterThanOrEqual(10000);
    expect(Math.max(...e)).toBeLessThanOrEqual(100000);
    expect(mean).toBeGreaterThan(53000);
    expect(mean).toBeLessThan(57000);
    const rng = new Rng(3);
    for (let i = 0; i < 100; i++) {
      const t = sampleTheta(rng);
      expect(t).toBeGreaterThanOrEqual(ANGULAR_THETA_RANGE[0]);
      expect(t).toBeLessThan(ANGULAR_THETA_RANGE[1]);
    }
  });

  it('rejects a bad n', () => {
    expect(() => sampleIncidentEnergies('ds2', -1, new Rng(1))).toThrow(/non-negative integer/);
  });
});
