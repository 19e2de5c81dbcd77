/**
 * Physics checks of the simulator against what a calorimeter physicist expects: containment,
 * shower-maximum growth with ln E, a/√E resolution, sparsity, the MIP peak, hadronic vs EM
 * shapes and the tilted axis of the angular grid. Observables are computed here from the voxels.
 */
import { cellCentres, getGeometry, layerSlices, type Geometry, type Showers } from '@calozoo/core';
import { describe, expect, it } from 'vitest';
import { simulateShowers } from '../src/index.js';

const fill = (n: number, e: number): Float32Array => new Float32Array(n).fill(e);

function totals(s: Showers): number[] {
  return Array.from({ length: s.n }, (_, i) => s.values.subarray(i * s.voxels, (i + 1) * s.voxels).reduce((a, b) => a + b, 0));
}
const mean = (x: number[]): number => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x: number[]): number => Math.sqrt(mean(x.map((v) => (v - mean(x)) ** 2)));

/** Energy-weighted mean layer index and mean radius (mm or cells) of each shower. */
function shape(g: Geometry, s: Showers): { depth: number; radius: number } {
  const c = cellCentres(g);
  let depth = 0;
  let radius = 0;
  for (let i = 0; i < s.n; i++) {
    let e = 0;
    let d = 0;
    let r = 0;
    for (let v = 0; v < s.voxels; v++) {
      const x = s.values[i * s.voxels + v];
      e += x;
      d += x * c.layerIndex[v];
      r += x * c.r[v];
    }
    depth += d / e / s.n;
    radius += r / e / s.n;
  }
  return { depth, radius };
}

describe('simulator physics', () => {
  it('DS2: E_dep/E_inc is ≈ 0.9–1.0 and the layer energies add up to the total', () => {
    const g = getGeometry('ds2');
    const s = simulateShowers(g, { n: 200, seed: 1 });
    const ratio = mean(totals(s).map((t, i) => t / s.energy[i]));
    expect(ratio).toBeGreaterThan(0.9);
    expect(ratio).toBeLessThan(1.0);
    const slices = layerSlices(g);
    let layerSum = 0;
    for (let i = 0; i < s.n; i++) for (const l of slices) for (let v = l.start; v < l.end; v++) layerSum += s.values[i * s.voxels + v] / s.energy[i];
    expect(layerSum / s.n).toBeCloseTo(ratio, 6);
  });

  it('the shower maximum moves deeper with ln E (mean depth per energy is monotonic)', () => {
    const g = getGeometry('ds2');
    const depths = [1000, 4000, 16000, 64000, 256000, 1000000].map((e) => shape(g, simulateShowers(g, { n: 60, seed: 2, energies: fill(60, e) })).depth);
    for (let i = 1; i < depths.length; i++) expect(depths[i]).toBeGreaterThan(depths[i - 1]);
    // PDG: dt_max/d ln E = 1 X0 = 1.25 layers of 0.8 X0; per factor 4 in E: 1.73 layers
    const slope = (depths[5] - depths[0]) / Math.log(1000);
    expect(slope).toBeGreaterThan(0.8);
    expect(slope).toBeLessThan(1.6);
  });

  it('the resolution falls as 1/√E (log-log slope ≈ −0.5) with the DS2 sampling term', () => {
    const energies = [2000, 8000, 32000, 128000];
    const res = energies.map((e) => {
      const t = totals(simulateShowers('ds2', { n: 250, seed: 3, energies: fill(250, e) }));
      return sd(t) / mean(t);
    });
    const lx = energies.map(Math.log);
    const ly = res.map(Math.log);
    const mx = mean(lx);
    const my = mean(ly);
    const slope = lx.reduce((a, x, i) => a + (x - mx) * (ly[i] - my), 0) / lx.reduce((a, x) => a + (x - mx) ** 2, 0);
    expect(slope).toBeLessThan(-0.35);
    expect(slope).toBeGreaterThan(-0.6);
    // a = 0.17 at 2 GeV: 12 %
    expect(res[0]).toBeGreaterThan(0.09);
    expect(res[0]).toBeLessThan(0.16);
  });

  it('low-energy showers are sparse (most voxels zero) for DS1 and DS2', () => {
    for (const [id, e, maxOcc] of [['ds1-photons', 1024, 0.5], ['ds2', 2000, 0.1]] as const) {
      const s = simulateShowers(id, { n: 50, seed: 4, energies: fill(50, e) });
      const nonzero = s.values.reduce((a, v) => a + (v > 0 ? 1 : 0), 0) / s.values.length;
      expect(nonzero).toBeLessThan(maxOcc);
      expect(nonzero).toBeGreaterThan(0);
    }
  });

  it.each([['ild-ecal', 0.2], ['ds2', 5.15]] as const)('%s: the cell spectrum of low-energy cells peaks near the MIP value (%f MeV)', (id, mip) => {
    const s = simulateShowers(id, { n: 30, seed: 5, energies: fill(30, 30000) });
    // log-spaced histogram of non-zero cells below 5 MIP
    const bins = new Array(30).fill(0);
    const lo = Math.log(0.1 * mip);
    const hi = Math.log(5 * mip);
    for (const v of s.values) if (v > 0.1 * mip && v < 5 * mip) bins[Math.floor(((Math.log(v) - lo) / (hi - lo)) * 30)]++;
    const k = bins.indexOf(Math.max(...bins));
    const mode = Math.exp(lo + ((k + 0.5) * (hi - lo)) / 30);
    expect(mode).toBeGreaterThan(0.6 * mip);
    expect(mode).toBeLessThan(1.5 * mip);
  });

  it('pions shower deeper and wider than photons, with lower response and worse resolution', () => {
    const g = getGeometry('ds1-pions');
    const e = fill(150, 65536);
    const gam = simulateShowers(g, { n: 150, seed: 6, energies: e, particle: 'photon' });
    const pi = simulateShowers(g, { n: 150, seed: 6, energies: e });
    const sg = shape(g, gam);
    const sp = shape(g, pi);
    expect(sp.depth).toBeGreaterThan(sg.depth + 1);
    expect(sp.radius).toBeGreaterThan(1.5 * sg.radius);
    const tg = totals(gam);
    const tp = totals(pi);
    expect(mean(tp)).toBeLessThan(0.92 * mean(tg));
    expect(sd(tp) / mean(tp)).toBeGreaterThan(2 * (sd(tg) / mean(tg)));
  });

  it('the angular grid moves the shower centre along y with depth, by tan θ', () => {
    const g = getGeometry('ild-ecal-angular');
    if (g.kind !== 'grid') throw new Error('expected a grid');
    const [nz, nx, ny] = g.shape;
    const s = simulateShowers(g, { n: 20, seed: 7, energies: fill(20, 50000), theta: 0.4 });
    const cy = (z: number): number => {
      let e = 0;
      let y = 0;
      for (let i = 0; i < s.n; i++) for (let x = 0; x < nx; x++) for (let j = 0; j < ny; j++) {
        const v = s.values[i * s.voxels + (z * nx + x) * ny + j];
        e += v;
        y += v * j;
      }
      return y / e;
    };
    const shift = (cy(20) - cy(4)) * g.cellSizeMm[1];
    // 16 layers in between: 16 × 5.25 mm · tan 0.4 ≈ 35.6 mm (layers 20+ are thicker: a bit more)
    expect(shift).toBeGreaterThan(28);
    expect(shift).toBeLessThan(48);
    expect(nz).toBe(30);
  });
});
