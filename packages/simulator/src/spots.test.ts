import { Rng } from '@calozoo/core';
import { describe, expect, it } from 'vitest';
import { cellEnergy, drawSpot, spotModel } from './spots.js';

describe('spot model', () => {
  const m = spotModel(5.15, 0.6, 28.9);

  it('its mean and E[e²]/E[e] match Monte Carlo', () => {
    const rng = new Rng(1);
    let s = 0;
    let s2 = 0;
    const n = 400000;
    for (let i = 0; i < n; i++) {
      const e = drawSpot(m, rng);
      s += e;
      s2 += e * e;
    }
    expect(Math.abs(s / n / m.mean - 1)).toBeLessThan(0.015);
    expect(s2 / s / m.varPerMeV).toBeGreaterThan(0.97);
    expect(s2 / s / m.varPerMeV).toBeLessThan(1.03);
  });

  it('cells keep their expected energy with variance μ·E[e²]/E[e] in every regime', () => {
    const rng = new Rng(2);
    for (const mu of [1, 10, 60, 1000]) {
      let s = 0;
      let s2 = 0;
      const n = 40000;
      for (let i = 0; i < n; i++) {
        const e = cellEnergy(mu, 0, m, m, rng);
        s += e;
        s2 += e * e;
      }
      const mean = s / n;
      const sd = Math.sqrt(s2 / n - mean * mean);
      expect(Math.abs(mean / mu - 1)).toBeLessThan(0.03);
      expect(sd / Math.sqrt(mu * m.varPerMeV)).toBeGreaterThan(0.95);
      expect(sd / Math.sqrt(mu * m.varPerMeV)).toBeLessThan(1.05);
    }
  });

  it('a cell with few expected spots is usually empty, otherwise near the MIP value', () => {
    const rng = new Rng(3);
    let zeros = 0;
    const hits: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const e = cellEnergy(2, 0, m, m, rng);
      if (e === 0) zeros++;
      else hits.push(e);
    }
    expect(zeros / 20000).toBeCloseTo(Math.exp(-2 / m.mean), 1);
    // mode of the non-zero spectrum (0.5 MeV bins) sits at the MIP MPV
    const bins = new Array(40).fill(0);
    for (const e of hits) if (e < 20) bins[Math.floor(e / 0.5)]++;
    const mode = (bins.indexOf(Math.max(...bins)) + 0.5) * 0.5;
    expect(mode).toBeGreaterThan(4);
    expect(mode).toBeLessThan(6.5);
  });
});
