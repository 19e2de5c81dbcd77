/**
 * Per-voxel coordinates and per-layer slices, the inputs of every observable.
 */
import type { CellCentres, Geometry, GridGeometry, LayerSlice } from './types.js';

/** Half-open voxel range of every layer (non-empty layers only, in flattened order). */
export function layerSlices(g: Geometry): LayerSlice[] {
  if (g.kind === 'cylindrical') return g.layers.map((l) => ({ id: l.id, start: l.offset, end: l.offset + l.voxels }));
  const per = g.shape[1] * g.shape[2];
  return Array.from({ length: g.shape[0] }, (_, z) => ({ id: z, start: z * per, end: (z + 1) * per }));
}

/** Number of layers with voxels. */
export function layerCount(g: Geometry): number {
  return g.kind === 'cylindrical' ? g.layers.length : g.shape[0];
}

/** Whether the geometry is a regular grid (usable by 3D convolutional networks). */
export function isRegularGrid(g: Geometry): g is GridGeometry {
  return g.kind === 'grid';
}

/**
 * Shape for convolutional networks: [z, x, y] for grids; [layers, alpha, r] for cylindrical
 * binnings whose layers all share one binning (datasets 2 and 3), otherwise undefined.
 */
export function gridShape(g: Geometry): [number, number, number] | undefined {
  if (g.kind === 'grid') return [g.shape[0], g.shape[1], g.shape[2]];
  const first = g.layers[0];
  const uniform = g.layers.every((l) => l.nR === first.nR && l.nAlpha === first.nAlpha && l.rEdges.every((e, i) => e === first.rEdges[i]));
  return uniform ? [g.layers.length, first.nAlpha, first.nR] : undefined;
}

const centreCache = new WeakMap<Geometry, CellCentres>();

/**
 * Cell centres of every voxel. Cylindrical: r_c = (e_i + e_{i+1})/2 mm,
 * alpha_c = -pi + (j + 0.5)·2pi/n_alpha, x = r_c·cos(alpha_c), y = r_c·sin(alpha_c)
 * (field-reference.md §1.2). Grids: x, y are cell indices (bin units, as the DESY
 * observables use), r the distance to the grid centre ((n-1)/2) in cell units.
 */
export function cellCentres(g: Geometry): CellCentres {
  const cached = centreCache.get(g);
  if (cached) return cached;
  const n = g.voxels;
  const layerIndex = new Int32Array(n);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const r = new Float64Array(n);
  const alpha = new Float64Array(n);
  if (g.kind === 'cylindrical') {
    g.layers.forEach((l, li) => {
      for (let a = 0; a < l.nAlpha; a++) {
        const ac = -Math.PI + ((a + 0.5) * 2 * Math.PI) / l.nAlpha;
        for (let k = 0; k < l.nR; k++) {
          const i = l.offset + a * l.nR + k;
          const rc = (l.rEdges[k] + l.rEdges[k + 1]) / 2;
          layerIndex[i] = li;
          r[i] = rc;
          alpha[i] = ac;
          x[i] = rc * Math.cos(ac);
          y[i] = rc * Math.sin(ac);
        }
      }
    });
  } else {
    const [nz, nx, ny] = g.shape;
    const cx = (nx - 1) / 2;
    const cy = (ny - 1) / 2;
    for (let z = 0; z < nz; z++) {
      for (let ix = 0; ix < nx; ix++) {
        for (let iy = 0; iy < ny; iy++) {
          const i = (z * nx + ix) * ny + iy;
          layerIndex[i] = z;
          x[i] = ix;
          y[i] = iy;
          r[i] = Math.hypot(ix - cx, iy - cy);
          alpha[i] = Math.atan2(iy - cy, ix - cx);
        }
      }
    }
  }
  const out: CellCentres = { layerIndex, x, y, r, alpha };
  centreCache.set(g, out);
  return out;
}
