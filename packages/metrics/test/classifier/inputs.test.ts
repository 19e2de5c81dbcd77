/**
 * Classifier inputs (field-reference.md §2.4): dimensions of cls-high for the CaloChallenge
 * datasets, cls-low and cls-low-normed values recomputed by hand, and the fast classifier test
 * on toy showers of a distorted simulation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getGeometry, layerSlices, selectTfBackend, type Showers } from '@calozoo/core';
import { ClassifierInputBuilder, classifierInputDim, classifierInputs, classifierTest } from '../../src/classifier/index.js';
import { toyShowers } from '../toy-showers.js';

beforeAll(async () => {
  await selectTfBackend();
});

describe('classifier inputs', () => {
  it('has the official cls-high dimensions 30 / 46 / 362', () => {
    expect(classifierInputDim('cls-high', getGeometry('calochallenge-1-photons'))).toBe(30);
    expect(classifierInputDim('cls-high', getGeometry('calochallenge-1-pions'))).toBe(46);
    expect(classifierInputDim('cls-high', getGeometry('calochallenge-2'))).toBe(362);
    expect(classifierInputDim('cls-high', getGeometry('calochallenge-3'))).toBe(362);
    expect(classifierInputDim('cls-low', getGeometry('calochallenge-1-photons'))).toBe(369);
    const g = getGeometry('calochallenge-1-photons');
    const x = classifierInputs('cls-high', toyShowers(g, { n: 5, seed: 1 }), g);
    expect([x.n, x.d]).toEqual([5, 30]);
  });

  it('builds cls-low and cls-low-normed as the official script (recomputed by hand)', () => {
    const g = getGeometry('calochallenge-1-photons');
    const s: Showers = toyShowers(g, { n: 3, seed: 2 });
    s.values[5] = 0.5; // below the 1 MeV DS1 threshold
    const low = classifierInputs('cls-low', s, g);
    const normed = classifierInputs('cls-low-normed', s, g);
    const slices = layerSlices(g);
    expect(normed.d).toBe(1 + g.voxels + slices.length);
    for (let r = 0; r < 3; r++) {
      const e = s.energy[r];
      expect(low.data[r * low.d]).toBeCloseTo(Math.log10(e), 5);
      for (let i = 0; i < g.voxels; i++) {
        const v = s.values[r * g.voxels + i];
        expect(low.data[r * low.d + 1 + i]).toBeCloseTo(v >= 1 ? v / e : 0, 6);
      }
      slices.forEach((L, li) => {
        let S = 0;
        for (let i = L.start; i < L.end; i++) if (s.values[r * g.voxels + i] >= 1) S += s.values[r * g.voxels + i];
        expect(normed.data[r * normed.d + 1 + g.voxels + li]).toBeCloseTo(Math.log10(S + 1e-8), 5);
        const i = L.start;
        expect(normed.data[r * normed.d + 1 + i]).toBeCloseTo(s.values[r * g.voxels + i] / (S + 1e-16), 5);
      });
    }
    // Streaming in chunks gives the same rows.
    const b = new ClassifierInputBuilder('cls-low', g);
    b.consume({ n: 1, voxels: g.voxels, energy: s.energy.subarray(0, 1), values: s.values.subarray(0, g.voxels) });
    b.consume({ n: 2, voxels: g.voxels, energy: s.energy.subarray(1), values: s.values.subarray(g.voxels) });
    expect(Array.from(b.finish().data)).toEqual(Array.from(low.data));
  });

  it('separates toy showers of a distorted simulation on cls-high (fast protocol)', async () => {
    const g = getGeometry('calochallenge-1-photons');
    const ref = classifierInputs('cls-high', toyShowers(g, { n: 3000, seed: 31 }), g);
    const gen = classifierInputs('cls-high', toyShowers(g, { n: 3000, seed: 32, shift: 3 }), g);
    const t0 = performance.now();
    const r = await classifierTest(ref, gen, { protocol: 'fast', seed: 3 });
    console.log(`toy showers cls-high: AUC ${r.auc.toFixed(4)}, JSD ${r.jsd.toFixed(4)}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.auc).toBeGreaterThan(0.9);
  });
});
