import { describe, expect, it } from 'vitest';
import { cylindricalGeometry, getGeometry, type CylindricalGeometry } from '@calozoo/core';
import { radialBinning, radialProfile } from './radial.js';
import { FeatureExtractor } from './extractor.js';

// Two layers with different radial edges, as in CaloChallenge DS1: layer 0 has 2 angular bins.
const g: CylindricalGeometry = cylindricalGeometry('tiny', 'photon', [
  { id: 0, rEdges: [0, 1, 3], nAlpha: 2 },
  { id: 1, rEdges: [0, 2, 4], nAlpha: 1 },
]);

/**
 * Independent calculation: the energy density in r of every voxel, e/(b − a) on [a, b), summed
 * and integrated over each common bin by the midpoint rule on a fine grid.
 */
function integrateDensity(geometry: CylindricalGeometry, energy: number[], edges: number[]): number[] {
  const density = (r: number): number => {
    let d = 0;
    for (const l of geometry.layers) {
      for (let a = 0; a < l.nAlpha; a++) {
        for (let k = 0; k < l.nR; k++) {
          if (r >= l.rEdges[k] && r < l.rEdges[k + 1]) d += energy[l.offset + a * l.nR + k] / (l.rEdges[k + 1] - l.rEdges[k]);
        }
      }
    }
    return d;
  };
  return edges.slice(1).map((hi, i) => {
    const lo = edges[i];
    const steps = 10_000;
    let s = 0;
    for (let j = 0; j < steps; j++) s += density(lo + ((j + 0.5) * (hi - lo)) / steps);
    return (s * (hi - lo)) / steps;
  });
}

describe('radial profile on per-layer edges (field-reference §1.2)', () => {
  it('uses the union of the layers’ edges as the common binning', () => {
    const b = radialBinning(g);
    expect(b.edges).toEqual([0, 1, 2, 3, 4]);
    expect(b.centres).toEqual([0.5, 1.5, 2.5, 3.5]);
    expect(b.unit).toBe('mm');
  });

  it('agrees with an independent integration of the per-voxel energy densities', () => {
    // voxels: layer 0 (alpha 0: r 0–1, 1–3; alpha 1: r 0–1, 1–3), layer 1 (r 0–2, 2–4)
    const energy = [5, 4, 1, 2, 8, 6];
    const b = radialBinning(g);
    const p = Array.from(radialProfile(b, energy));
    const expected = integrateDensity(g, energy, b.edges);
    p.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 6));
    // by hand: [0,1]: 5 + 1 + 8/2; [1,2]: (4 + 2)/2 + 8/2; [2,3]: (4 + 2)/2 + 6/2; [3,4]: 6/2
    expect(p).toEqual([10, 7, 6, 3]);
    expect(p.reduce((a, c) => a + c, 0)).toBeCloseTo(energy.reduce((a, c) => a + c, 0), 12);
  });

  it('a shower of uniform density in r gives a flat profile (no sawtooth from mixed edges)', () => {
    const ds1 = getGeometry('ds1-photons') as CylindricalGeometry;
    // every voxel holds energy proportional to its r width, i.e. dE/dr = 1 per layer and alpha bin
    const energy = new Float64Array(ds1.voxels);
    for (const l of ds1.layers) for (let a = 0; a < l.nAlpha; a++) for (let k = 0; k < l.nR; k++) energy[l.offset + a * l.nR + k] = (l.rEdges[k + 1] - l.rEdges[k]) / l.nAlpha;
    const b = radialBinning(ds1);
    const p = radialProfile(b, energy);
    const density = Array.from(p, (v, i) => v / (b.edges[i + 1] - b.edges[i]));
    // dE/dr = number of layers reaching r: 5 up to 200 mm, then 4, 3 (beyond 400 mm), 2 (beyond 600 mm)
    const layersAt = (r: number): number => ds1.layers.filter((l) => l.rEdges[l.nR] > r).length;
    density.forEach((d, i) => expect(d).toBeCloseTo(layersAt(b.centres[i]), 10));
  });

  it('the feature extractor sums the same profile over showers', () => {
    const ex = new FeatureExtractor(g, { threshold: 0.5 });
    const values = Float32Array.from([5, 4, 1, 2, 8, 6, 0.2, 0, 0, 0, 2, 0]);
    ex.consume({ n: 2, voxels: g.voxels, energy: Float32Array.of(100, 100), values });
    const t = ex.finish();
    expect(Array.from(t.voxelSum)).toEqual([5, 4, 1, 2, 10, 6]);
    expect(Array.from(t.radialSum)).toEqual([11, 8, 6, 3]);
  });

  it('grids: unit-wide bins of the distance to the grid centre, each voxel in one bin', () => {
    const grid = getGeometry('grid-2x3x3');
    const b = radialBinning(grid);
    expect(b.unit).toBe('cells');
    expect(b.edges).toEqual([0, 1, 2]);
    const energy = new Float64Array(grid.voxels).fill(1);
    // per layer: the centre cell (r = 0), four edge cells (r = 1) and four corners (r = √2)
    expect(Array.from(radialProfile(b, energy))).toEqual([2, 16]);
  });
});
