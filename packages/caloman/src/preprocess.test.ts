import { describe, expect, it } from 'vitest';
import { Rng, getGeometry, layerSlices, toLayerFractions } from '@calozoo/core';
import {
  energyContext,
  eplToLayerEnergies,
  fitStandardiser,
  fractionsToShowers,
  layerEnergiesToEpl,
  standardise,
  voxelForward,
  voxelInverse,
} from './preprocess.js';
import { defaultConfigFor } from './configs.js';
import { EMPTY_LAYER_LOW } from './training-data.js';

describe('preprocessing', () => {
  const rng = new Rng(3);
  const n = 50;
  const L = 5;
  const energy = Float32Array.from({ length: n }, () => 2 ** (8 + rng.int(15)));
  const layerE = Float64Array.from({ length: n * L }, (_, i) => (i % 7 === 0 ? 0 : energy[Math.floor(i / L)] * 0.2 * rng.uniform()));

  it.each(['published', 'relative'] as const)('EPL transform %s round-trips layer energies', (kind) => {
    const u = layerEnergiesToEpl(layerE, energy, n, L, kind, 1e-7);
    const back = eplToLayerEnergies(u, energy, n, L, kind, 1e-7);
    for (let i = 0; i < layerE.length; i++) expect(back[i]).toBeCloseTo(layerE[i], Math.max(0, 3 - Math.ceil(Math.log10(1 + layerE[i]))));
  });

  it('the default eplFloor keeps dequantised empty layers (0.05–1 × threshold) ≥ 0.4 decades wide at every geometry\'s highest energy', () => {
    // DS1: 1 MeV threshold, E_inc ≤ 4.19 TeV; DS2/DS3: 15.15 keV, E_inc ≤ 1 TeV (field-reference.md §1)
    for (const [id, eMax] of [['calochallenge-1-photons', 2 ** 22], ['calochallenge-1-pions', 2 ** 22], ['calochallenge-2', 1e6], ['calochallenge-3', 1e6]] as const) {
      const c = defaultConfigFor(getGeometry(id));
      const [lo, hi] = layerEnergiesToEpl([EMPTY_LAYER_LOW * c.thresholdMeV, c.thresholdMeV], [eMax, eMax], 2, 1, c.eplTransform, c.eplFloor);
      expect(hi - lo, id).toBeGreaterThan(0.4);
      // and the transform still round-trips the smallest non-empty layer energy
      expect(eplToLayerEnergies([hi], [eMax], 1, 1, c.eplTransform, c.eplFloor)[0]).toBeCloseTo(c.thresholdMeV, 4);
    }
    // the floor the DS2 default replaced: a 0.06-decade spike
    const [lo, hi] = layerEnergiesToEpl([EMPTY_LAYER_LOW * 0.01515, 0.01515], [1e6, 1e6], 2, 1, 'relative', 1e-7);
    expect(hi - lo).toBeLessThan(0.1);
  });

  it('matches the published formula u = log10((E + 0.001)/1e5) − 1 and c = log10(E_inc + 0.001)', () => {
    const u = layerEnergiesToEpl([1234.5], [5000], 1, 1, 'published', 1e-7);
    expect(u[0]).toBeCloseTo(Math.log10(1234.501 / 1e5) - 1, 5);
    expect(energyContext([4096])[0]).toBeCloseTo(Math.log10(4096.001), 6);
  });

  it.each(['std', 'maxabs'] as const)('standardiser (%s) round-trips and normalises', (kind) => {
    const x = Float32Array.from({ length: 300 }, () => 5 + 3 * rng.normal());
    const st = fitStandardiser(x, 100, 3, kind);
    const y = standardise(new Float32Array(x), st);
    if (kind === 'maxabs') for (const v of y) expect(Math.abs(v)).toBeLessThanOrEqual(1 + 1e-6);
    else {
      const m = y.filter((_, i) => i % 3 === 1).reduce((a, b) => a + b, 0) / 100;
      expect(Math.abs(m)).toBeLessThan(1e-5);
    }
    const back = standardise(y, st, true);
    for (let i = 0; i < x.length; i++) expect(back[i]).toBeCloseTo(x[i], 4);
  });

  it.each(['std', 'maxabs'] as const)('standardiser (%s) over a subset of rows equals the one over those rows copied out', (kind) => {
    const x = Float32Array.from({ length: 300 }, () => 5 + 3 * rng.normal());
    const rows = [3, 10, 11, 40, 77, 99];
    const copied = Float32Array.from(rows.flatMap((r) => [x[r * 3]!, x[r * 3 + 1]!, x[r * 3 + 2]!]));
    expect(fitStandardiser(x, rows.length, 3, kind, rows)).toEqual(fitStandardiser(copied, rows.length, 3, kind));
    expect(fitStandardiser(x, rows.length, 3, kind, rows)).not.toEqual(fitStandardiser(x, rows.length, 3, kind));
  });

  it.each(['linear', 'sqrt', 'logit'] as const)('voxel transform %s round-trips fractions', (kind) => {
    const f = Float32Array.from({ length: 200 }, (_, i) => (i % 5 === 0 ? 0 : rng.uniform()));
    const back = voxelInverse(voxelForward(new Float32Array(f), kind), kind);
    for (let i = 0; i < f.length; i++) expect(back[i]).toBeCloseTo(f[i], 4);
  });

  it('fractionsToShowers with the hit floor keeps every drawn hit at or above the threshold and the layer energy', () => {
    const g = getGeometry('calochallenge-1-photons');
    const slices = layerSlices(g);
    const L = slices.length;
    const m = 40;
    const t = 5;
    const own = new Rng(12);
    const fractions = Float32Array.from({ length: m * g.voxels }, () => (own.uniform() < 0.5 ? 0 : own.exponential()));
    // Layer energies from far below to far above (hits × threshold), so both branches run.
    const layerE = Float64Array.from({ length: m * L }, () => Math.exp(own.uniform() * 9));
    const floor = fractionsToShowers(fractions, layerE, m, g.voxels, slices, { thresholdMeV: t, keepLayerEnergy: true, hitFloor: true });
    const cut = fractionsToShowers(fractions, layerE, m, g.voxels, slices, { thresholdMeV: t, keepLayerEnergy: true });
    const raised = fractionsToShowers(fractions, layerE, m, g.voxels, slices, { thresholdMeV: t, keepLayerEnergy: false, hitFloor: true });
    const [floored, fallBack] = [0, 0].map(() => ({ n: 0 }));
    for (let i = 0; i < m; i++) {
      for (let l = 0; l < L; l++) {
        const vs = Array.from({ length: slices[l].end - slices[l].start }, (_, k) => i * g.voxels + slices[l].start + k);
        const sum = vs.reduce((a, j) => a + fractions[j]!, 0);
        const hits = vs.filter((j) => fractions[j]! > 0);
        const e = layerE[i * L + l]!;
        const mev = (j: number) => (fractions[j]! / sum) * e;
        for (const j of vs) expect(raised[j]).toBeCloseTo(fractions[j]! > 0 ? Math.max(t, mev(j)) : 0, 3);
        if (hits.length === 0) continue;
        if (hits.length * t <= e && hits.some((j) => mev(j) > t)) {
          floored.n++;
          // Same hits, none below the threshold, the layer's energy kept, the order of the hits kept.
          for (const j of vs) expect(floor[j]! > 0).toBe(fractions[j]! > 0);
          for (const j of hits) expect(floor[j]).toBeGreaterThanOrEqual(t * (1 - 1e-6));
          expect(vs.reduce((a, j) => a + floor[j]!, 0)).toBeCloseTo(e, 2);
          for (const a of hits) for (const b of hits) if (mev(a) > mev(b) && mev(a) > t) expect(floor[a]).toBeGreaterThan(floor[b]! - 1e-4);
        } else {
          fallBack.n++;
          for (const j of vs) expect(floor[j]).toBe(cut[j]);
        }
      }
    }
    expect(floored.n).toBeGreaterThan(10);
    expect(fallBack.n).toBeGreaterThan(10);
  });

  it('fractionsToShowers inverts toLayerFractions and keeps layer energies through the threshold', () => {
    const g = getGeometry('calochallenge-1-photons');
    const slices = layerSlices(g);
    const m = 4;
    const own = new Rng(11);
    const values = Float32Array.from({ length: m * g.voxels }, () => (own.uniform() < 0.4 ? 0 : 10 * own.exponential()));
    const { layerEnergy, fractions } = toLayerFractions(values, m, g.voxels, slices);
    const back = fractionsToShowers(fractions, layerEnergy, m, g.voxels, slices, { thresholdMeV: 0, keepLayerEnergy: false });
    for (let i = 0; i < values.length; i++) expect(back[i]).toBeCloseTo(values[i], 3);
    const cut = fractionsToShowers(fractions, layerEnergy, m, g.voxels, slices, { thresholdMeV: 5, keepLayerEnergy: true });
    for (let i = 0; i < m; i++) {
      for (let l = 0; l < slices.length; l++) {
        let s = 0;
        let below = 0;
        let survivors = 0;
        for (let v = slices[l].start; v < slices[l].end; v++) {
          s += cut[i * g.voxels + v];
          if (cut[i * g.voxels + v] > 0 && cut[i * g.voxels + v] < 5) below++;
          if (values[i * g.voxels + v]! >= 5) survivors++;
        }
        expect(below).toBe(0);
        // A layer whose every voxel falls below the cut has nothing left to carry its energy.
        if (survivors > 0) expect(s).toBeCloseTo(layerEnergy[i * slices.length + l], 1);
        else expect(s).toBe(0);
      }
    }
  });
});
