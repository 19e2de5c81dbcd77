/**
 * A small, fast toy shower generator for the metrics tests and benchmark (independent of
 * @calozoo/simulator): gamma-shaped longitudinal profile, exponential radial profile, hits
 * binned into the voxels of any geometry. `shift` distorts response, depth and width.
 */
import { DS1_ENERGIES } from '../src/dataset.js';
import { Rng, type Geometry, type Showers } from '@calozoo/core';

/** Options of the toy generator. */
export interface ToyOptions {
  n: number;
  seed: number;
  /** 0 = nominal; > 0 shifts response (+2 %·shift), depth and radial width (+10 %·shift). */
  shift?: number;
  /** Hits per layer. */
  hits?: number;
}

/** Generates toy showers for a geometry. */
export function toyShowers(g: Geometry, o: ToyOptions): Showers {
  const rng = new Rng(o.seed);
  const shift = o.shift ?? 0;
  const K = o.hits ?? 24;
  const V = g.voxels;
  const values = new Float32Array(o.n * V);
  const energy = new Float32Array(o.n);
  const ds1 = g.id.startsWith('calochallenge-1');
  const grid = g.kind === 'grid';
  const layers = grid
    ? Array.from({ length: g.shape[0] }, (_, z) => ({ offset: z * g.shape[1] * g.shape[2], nR: 0, nAlpha: 0, rEdges: [] as readonly number[] }))
    : g.layers.map((l) => ({ offset: l.offset, nR: l.nR, nAlpha: l.nAlpha, rEdges: l.rEdges }));
  const nl = layers.length;
  const sampling = grid ? 0.015 : 1;
  const r0 = (grid ? 1.5 : ds1 ? 25 : 8) * (1 + 0.1 * shift);
  for (let s = 0; s < o.n; s++) {
    const e = ds1 ? DS1_ENERGIES[rng.int(DS1_ENERGIES.length)] : grid ? 1e4 * 10 ** rng.uniform() : 1e3 * 10 ** (3 * rng.uniform());
    energy[s] = e;
    const resp = sampling * (0.95 + 0.02 * shift) * (1 + (0.3 / Math.sqrt(e / 1000) + 0.02) * rng.normal());
    const edep = Math.max(0, e * resp);
    const a = 2 + 0.4 * Math.log(e / 1000 + 1) + 0.3 * shift;
    const f = new Float64Array(nl);
    let tot = 0;
    for (let l = 0; l < nl; l++) {
      const t = ((l + 0.5) / nl) * 8;
      f[l] = Math.pow(t, a - 1) * Math.exp(-t) * (0.7 + 0.6 * rng.uniform());
      tot += f[l];
    }
    const base = s * V;
    for (let l = 0; l < nl; l++) {
      const L = layers[l];
      const el = (edep * f[l]) / tot;
      for (let k = 0; k < K; k++) {
        const eh = (el / K) * rng.exponential();
        const r = r0 * rng.exponential() * (0.5 + l / nl);
        const alpha = -Math.PI + 2 * Math.PI * rng.uniform();
        let idx = -1;
        if (grid) {
          const [, nx, ny] = g.shape;
          const x = Math.round((nx - 1) / 2 + r * Math.cos(alpha));
          const y = Math.round((ny - 1) / 2 + r * Math.sin(alpha));
          if (x >= 0 && x < nx && y >= 0 && y < ny) idx = L.offset + x * ny + y;
        } else {
          const edges = L.rEdges;
          if (r < edges[L.nR]) {
            let ir = 0;
            while (edges[ir + 1] <= r) ir++;
            const ia = Math.min(L.nAlpha - 1, Math.floor(((alpha + Math.PI) / (2 * Math.PI)) * L.nAlpha));
            idx = L.offset + ia * L.nR + ir;
          }
        }
        if (idx >= 0) values[base + idx] += eh;
      }
    }
  }
  return { n: o.n, voxels: V, energy, values };
}
