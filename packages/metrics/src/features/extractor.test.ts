import { describe, expect, it } from 'vitest';
import { getGeometry, sliceShowers, type Showers } from '@calozoo/core';
import { FeatureExtractor, column } from './extractor.js';
import { featureSchema } from './schema.js';
import { toyShowers } from '../../test/toy-showers.js';

function one(voxels: number, set: Record<number, number>, energy = 1000): Showers {
  const values = new Float32Array(voxels);
  for (const [k, v] of Object.entries(set)) values[Number(k)] = v;
  return { n: 1, voxels, energy: Float32Array.of(energy), values };
}

describe('feature schema', () => {
  it('cls-high dimensions follow from the per-layer groups (30/46/362)', () => {
    const count = (id: string): number => {
      const s = featureSchema(getGeometry(id));
      const tr = s.layers.filter((l) => l.transverse).length;
      return 1 + s.layers.length + 4 * tr + 1 + 3 * s.layers.length;
    };
    expect(count('ds1-photons')).toBe(30);
    expect(count('ds1-pions')).toBe(46);
    expect(count('calochallenge-2')).toBe(362);
  });
});

describe('FeatureExtractor (field-reference §2.1, §5.3)', () => {
  const g = getGeometry('ds1-photons');
  it('a single voxel gives its cell centre, zero widths and the sparsity 1 − 1/160', () => {
    // layer 1, alpha 0, r 0: r_c = 1, alpha_c = −0.9π → (−0.951, −0.309) (§1.2)
    const ex = new FeatureExtractor(g);
    ex.consume(one(g.voxels, { 8: 50 }));
    const t = ex.finish();
    expect(column(t, 'EC_eta[1]')[0]).toBeCloseTo(Math.cos(-0.9 * Math.PI), 12);
    expect(column(t, 'EC_phi[1]')[0]).toBeCloseTo(Math.sin(-0.9 * Math.PI), 12);
    expect(column(t, 'EC_r[1]')[0]).toBeCloseTo(1, 12);
    expect(column(t, 'Width_eta[1]')[0]).toBeLessThan(1e-6);
    expect(column(t, 'Sparsity[1]')[0]).toBeCloseTo(1 - 1 / 160, 14);
    expect(column(t, 'Sparsity[2]')[0]).toBe(1);
    expect(column(t, 'EC_r[2]')[0]).toBe(0);
    expect(column(t, 'E_dep/E_inc')[0]).toBeCloseTo(0.05, 7);
    expect(column(t, 'n_hit')[0]).toBe(1);
  });
  it('zeroes voxels below the threshold before everything and counts hits above the hit threshold', () => {
    const ex = new FeatureExtractor(g, { threshold: 1, hitThreshold: 5 });
    ex.consume(one(g.voxels, { 0: 0.5, 1: 2, 2: 10 }));
    const t = ex.finish();
    expect(column(t, 'E_layer[0]')[0]).toBe(12);
    expect(column(t, 'Sparsity[0]')[0]).toBe(1 - 2 / 8);
    expect(column(t, 'n_hit')[0]).toBe(1);
    expect(t.voxelMax).toBe(10);
    // layer-0 radial bins 5–10 and 10–30 mm: r_c = 7.5 and 20 with energies 2 and 10
    const ec = (2 * 7.5 + 10 * 20) / 12;
    expect(column(t, 'EC_r[0]')[0]).toBeCloseTo(ec, 12);
    expect(column(t, 'Width_r[0]')[0]).toBeCloseTo(Math.sqrt((2 * 7.5 ** 2 + 10 * 20 ** 2) / 12 - ec * ec), 10);
  });
  it('grid moments: m1 is the energy-weighted mean index, m2 the variance; E1/E2/E3 by thirds', () => {
    const grid = getGeometry('grid-30x4x4');
    const idx = (z: number, x: number, y: number): number => (z * 4 + x) * 4 + y;
    const ex = new FeatureExtractor(grid, { threshold: 0.1 });
    ex.consume(one(grid.voxels, { [idx(0, 1, 2)]: 1, [idx(15, 3, 2)]: 3 }));
    const t = ex.finish();
    expect(column(t, 'm1_x')[0]).toBeCloseTo((1 + 9) / 4, 12);
    expect(column(t, 'm2_x')[0]).toBeCloseTo((1 * (1 - 2.5) ** 2 + 3 * (3 - 2.5) ** 2) / 4, 12);
    expect(column(t, 'm1_y')[0]).toBeCloseTo(2, 12);
    expect(column(t, 'm2_y')[0]).toBeCloseTo(0, 12);
    expect(column(t, 'm1_z')[0]).toBeCloseTo(45 / 4, 12);
    expect(column(t, 'E1/E_dep')[0]).toBeCloseTo(0.25, 12);
    expect(column(t, 'E2/E_dep')[0]).toBeCloseTo(0.75, 12);
    expect(column(t, 'E3/E_dep')[0]).toBe(0);
  });
  it('chunked consumption gives the same table as one chunk', () => {
    const s = toyShowers(g, { n: 257, seed: 9 });
    const a = new FeatureExtractor(g);
    a.consume(s);
    const b = new FeatureExtractor(g);
    for (let i = 0; i < s.n; i += 10) b.consume(sliceShowers(s, i, Math.min(s.n, i + 10)));
    const ta = a.finish();
    const tb = b.finish();
    expect(tb.n).toBe(257);
    ta.columns.forEach((c, j) => expect(Array.from(tb.columns[j])).toEqual(Array.from(c)));
    expect(Array.from(tb.radialSum)).toEqual(Array.from(ta.radialSum));
    expect(Array.from(tb.voxelSum)).toEqual(Array.from(ta.voxelSum));
  });
  it('rejects showers of another width', () => {
    expect(() => new FeatureExtractor(g).consume(one(533, {}))).toThrow(/368/);
  });
});
