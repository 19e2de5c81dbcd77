/**
 * Radial-profile bins: every distinct radial cell centre of a cylindrical binning (mm), or
 * unit-wide bins of the distance to the grid centre ((n−1)/2, cell units) for grids
 * (field-reference.md §5.3).
 */
import { cellCentres, type Geometry } from '@calozoo/core';

/** Radial bins and the bin of every voxel. */
export interface RadialBinning {
  /** Bin centres (mm for cylindrical, cells for grids). */
  readonly centres: number[];
  /** Unit of the centres. */
  readonly unit: 'mm' | 'cells';
  /** Radial bin of every voxel. */
  readonly bin: Int32Array;
}

/** Builds the radial-profile binning of a geometry. */
export function radialBinning(g: Geometry): RadialBinning {
  const r = cellCentres(g).r;
  const bin = new Int32Array(g.voxels);
  if (g.kind === 'grid') {
    let max = 0;
    for (let i = 0; i < r.length; i++) {
      bin[i] = Math.floor(r[i]);
      if (bin[i] > max) max = bin[i];
    }
    return { centres: Array.from({ length: max + 1 }, (_, i) => i + 0.5), unit: 'cells', bin };
  }
  const unique = [...new Set(Array.from(r))].sort((a, b) => a - b);
  const pos = new Map(unique.map((u, i) => [u, i]));
  for (let i = 0; i < r.length; i++) bin[i] = pos.get(r[i]) as number;
  return { centres: unique, unit: 'mm', bin };
}
