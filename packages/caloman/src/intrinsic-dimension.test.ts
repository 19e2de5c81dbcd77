import { describe, expect, it } from 'vitest';
import { Rng, getGeometry } from '@calozoo/core';
import { intrinsicDimension, nearestSquaredDistances } from './intrinsic-dimension.js';
import { showerIntrinsicDimension } from './shower-dimension.js';

/** n points on a smooth `m`-dimensional manifold embedded non-linearly in `D` dimensions. */
function manifold(n: number, m: number, D: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const A = Array.from({ length: D * m }, () => rng.normal());
  const out = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    const t = Array.from({ length: m }, () => rng.uniform());
    for (let d = 0; d < D; d++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += A[d * m + j] * t[j];
      out[i * D + d] = Math.sin(s) + 0.3 * s;
    }
  }
  return out;
}

describe('intrinsicDimension', () => {
  it('finds the brute-force nearest neighbours', () => {
    const rng = new Rng(1);
    const n = 60;
    const x = Float64Array.from({ length: n * 4 }, () => rng.normal());
    const d = nearestSquaredDistances(x, n, 4, 3, 7);
    for (const i of [0, 17, 59]) {
      const all: number[] = [];
      for (let p = 0; p < n; p++) {
        if (p === i) continue;
        let s = 0;
        for (let j = 0; j < 4; j++) s += (x[i * 4 + j] - x[p * 4 + j]) ** 2;
        all.push(s);
      }
      all.sort((a, b) => a - b);
      for (let j = 0; j < 3; j++) expect(d[i * 3 + j]).toBeCloseTo(all[j], 10);
    }
  });

  it('estimates ≈ 3 for a 3-D manifold embedded in 20-D and ≈ 8 for an 8-D Gaussian', () => {
    const r3 = intrinsicDimension(manifold(2000, 3, 20, 2), 2000, 20, { k: [5, 10, 20] });
    for (const e of r3) {
      // MacKay–Ghahramani removes the small-k upward bias of averaging m_i (LB ≈ 3.9 at k = 5).
      expect(e.mackayGhahramani).toBeGreaterThan(2.6);
      expect(e.mackayGhahramani).toBeLessThan(3.4);
      expect(e.mackayGhahramani).toBeLessThanOrEqual(e.levinaBickel + 1e-9);
      if (e.k >= 10) expect(Math.abs(e.levinaBickel - 3)).toBeLessThan(0.4);
    }
    const rng = new Rng(3);
    const g = Float64Array.from({ length: 2000 * 8 }, () => rng.normal());
    const r8 = intrinsicDimension(g, 2000, 8, { k: [10, 20] });
    for (const e of r8) {
      expect(e.mackayGhahramani).toBeGreaterThan(6.5);
      expect(e.mackayGhahramani).toBeLessThan(9);
    }
  });

  it('rejects bad k', () => {
    expect(() => intrinsicDimension(new Float64Array(20), 10, 2, { k: [2] })).toThrow(/k must/);
  });
});

describe('showerIntrinsicDimension', () => {
  it('estimates a small dimension for showers that vary in two parameters only', async () => {
    const g = getGeometry('calochallenge-1-photons');
    const rng = new Rng(4);
    const n = 800;
    const values = new Float32Array(n * g.voxels);
    const energy = new Float32Array(n).fill(1000);
    for (let i = 0; i < n; i++) {
      // Two latent parameters: an exponential fall-off rate and a phase, smooth in every voxel.
      const a = 0.01 + 0.05 * rng.uniform();
      const b = 2 * Math.PI * rng.uniform();
      for (let v = 0; v < g.voxels; v++) values[i * g.voxels + v] = Math.exp(-a * (v % 40)) * (1.5 + Math.sin(b + v / 17));
    }
    const [e] = showerIntrinsicDimension({ n, voxels: g.voxels, energy, values }, g, { k: [10] });
    expect(e.mackayGhahramani).toBeGreaterThan(1.5);
    expect(e.mackayGhahramani).toBeLessThan(2.6);
  });
});
