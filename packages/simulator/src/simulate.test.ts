import { Rng, getGeometry, BUILTIN_GEOMETRY_IDS } from '@calozoo/core';
import { describe, expect, it } from 'vitest';
import { simulateShowers } from './simulate.js';

describe('simulateShowers', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = simulateShowers('ds1-photons', { n: 20, seed: 42 });
    const b = simulateShowers('ds1-photons', { n: 20, seed: 42 });
    const c = simulateShowers('ds1-photons', { n: 20, seed: 43 });
    expect(a.values).toEqual(b.values);
    expect(a.energy).toEqual(b.energy);
    expect(a.values).not.toEqual(c.values);
  });

  it('chunking does not change the showers (one stream per shower index)', () => {
    const whole = simulateShowers('ds2', { n: 10, seed: 7 });
    const first = simulateShowers('ds2', { n: 4, seed: 7 });
    const rest = simulateShowers('ds2', { n: 6, seed: 7, firstIndex: 4 });
    expect(first.values).toEqual(whole.values.subarray(0, 4 * 6480));
    expect(rest.values).toEqual(whole.values.subarray(4 * 6480));
    expect(rest.energy).toEqual(whole.energy.subarray(4));
  });

  it('an rng derives a seed and gives reproducible runs', () => {
    const a = simulateShowers('ds1-pions', { n: 5, rng: new Rng(9) });
    const b = simulateShowers('ds1-pions', { n: 5, rng: new Rng(9) });
    expect(a.values).toEqual(b.values);
  });

  it.each(BUILTIN_GEOMETRY_IDS.map((id) => [id, getGeometry(id).voxels] as const))('%s has %i voxels per shower, finite and ≥ 0', (id, voxels) => {
    const s = simulateShowers(id, { n: 3, seed: 1, energies: new Float32Array([20000, 50000, 80000]) });
    expect(s.voxels).toBe(voxels);
    expect(s.values.length).toBe(3 * voxels);
    expect(s.values.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(s.values.some((v) => v > 0)).toBe(true);
    expect(s.theta !== undefined).toBe(id === 'ild-ecal-angular');
  });

  it('validates its arguments with messages that say what to do', () => {
    expect(() => simulateShowers('ds2', { n: 2 })).toThrow(/seed or an rng/);
    expect(() => simulateShowers('ds2', { n: 1.5, seed: 1 })).toThrow(/non-negative integer/);
    expect(() => simulateShowers('ds2', { n: 3, seed: 1, energies: new Float32Array(2) })).toThrow(/at least n energies/);
    expect(() => simulateShowers('ds2', { n: 1, seed: 1, energies: new Float32Array([-5]) })).toThrow(/positive number of MeV/);
    expect(() => simulateShowers('ds2', { n: 1, seed: 1, particle: 'muon' as never })).toThrow(/unknown particle/);
    expect(() => simulateShowers('nope', { n: 1, seed: 1 })).toThrow(/unknown geometry/);
  });

  it('takes parameter overrides (a larger sampling term widens E_tot)', () => {
    const e = new Float32Array(300).fill(10000);
    const spread = (a?: number): number => {
      const s = simulateShowers('ds2', { n: 300, seed: 3, energies: e, params: a ? { samplingTerm: a } : undefined });
      const tot = Array.from({ length: 300 }, (_, i) => s.values.subarray(i * 6480, (i + 1) * 6480).reduce((x, y) => x + y, 0));
      const m = tot.reduce((x, y) => x + y) / 300;
      return Math.sqrt(tot.reduce((x, y) => x + (y - m) ** 2, 0) / 300) / m;
    };
    expect(spread(0.4)).toBeGreaterThan(1.5 * spread());
  });
});
