import { describe, expect, it } from 'vitest';
import { Rng } from '../rng.js';
import { getGeometry, layerSlices } from '../geometry/index.js';
import {
  applyThreshold,
  denormaliseByIncidentEnergy,
  fromLayerFractions,
  inverseLogitTransform,
  inverseLogTransform,
  layerEnergies,
  logitTransform,
  logTransform,
  normaliseByIncidentEnergy,
  toLayerFractions,
} from './transforms.js';

function randomShowers(n: number, voxels: number, seed: number): { values: Float32Array; energy: Float32Array } {
  const rng = new Rng(seed);
  const values = new Float32Array(n * voxels);
  for (let i = 0; i < values.length; i++) values[i] = rng.uniform() < 0.6 ? 0 : rng.exponential() * 50;
  const energy = Float32Array.from({ length: n }, () => 1000 + rng.uniform() * 1e5);
  return { values, energy };
}

const maxRelErr = (a: Float32Array, b: Float32Array, floor = 1e-3): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(floor, Math.abs(a[i])));
  return m;
};

describe('preprocessing', () => {
  const g = getGeometry('ds1-photons');
  const slices = layerSlices(g);
  const { values, energy } = randomShowers(20, g.voxels, 1);

  it('incident-energy normalisation round-trips', () => {
    const x = normaliseByIncidentEnergy(values, energy, g.voxels);
    expect(x[5]).toBeCloseTo(values[5] / energy[0], 9);
    expect(maxRelErr(values, denormaliseByIncidentEnergy(x, energy, g.voxels))).toBeLessThan(1e-6);
  });

  it('log transform round-trips (zeros included)', () => {
    const y = logTransform(values, 1e-6);
    expect(y[0]).toBeCloseTo(Math.log(values[0] + 1e-6), 5);
    expect(maxRelErr(values, inverseLogTransform(y, 1e-6))).toBeLessThan(1e-5);
  });

  it('logit transform maps [0,1] to R and back', () => {
    const x = Float32Array.from([0, 1e-4, 0.25, 0.5, 0.999, 1]);
    const y = logitTransform(x);
    expect(y[3]).toBeCloseTo(0, 6);
    expect(y[0]).toBeCloseTo(Math.log(1e-6 / (1 - 1e-6)), 3);
    const back = inverseLogitTransform(y);
    for (let i = 0; i < x.length; i++) expect(back[i]).toBeCloseTo(x[i], 5);
  });

  it('layer fractions sum to one per non-empty layer and invert exactly', () => {
    const n = energy.length;
    const { layerEnergy, fractions } = toLayerFractions(values, n, g.voxels, slices);
    const direct = layerEnergies(values, n, g.voxels, slices);
    expect(Array.from(layerEnergy)).toEqual(Array.from(direct));
    for (let i = 0; i < n; i++) {
      slices.forEach((s, l) => {
        let sum = 0;
        for (let v = s.start; v < s.end; v++) sum += fractions[i * g.voxels + v];
        if (layerEnergy[i * slices.length + l] > 0) expect(sum).toBeCloseTo(1, 5);
      });
    }
    const back = fromLayerFractions(fractions, layerEnergy, n, g.voxels, slices);
    expect(maxRelErr(values, back)).toBeLessThan(1e-5);
  });

  it('threshold zeroes small values only', () => {
    const x = Float32Array.from([0.5, 1, 2, 0.99]);
    expect(Array.from(applyThreshold(x, 1))).toEqual([0, 1, 2, 0]);
  });

  it('rejects mismatched shapes', () => {
    expect(() => normaliseByIncidentEnergy(new Float32Array(10), new Float32Array(3), 4)).toThrow(/expected n·voxels/);
  });
});
