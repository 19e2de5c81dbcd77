/**
 * Radial-profile bins (field-reference.md §1.2, §5.3).
 *
 * Cylindrical binnings give every layer its own radial edges (DS1 layer 1 has 16 bins up to
 * 200 mm, layer 2 has 19 up to 400 mm, …). Mixing the layers' cell centres into one axis, as an
 * earlier version did, puts a wide outer bin of one layer next to a narrow inner bin of another
 * and draws a sawtooth. Instead the common binning is the union of every layer's edges: each
 * layer bin [a, b) is then exactly a run of common bins, and its energy is shared among them in
 * proportion to their width (energy uniform in r inside a cell, the same assumption as drawing
 * the layer's own histogram as a density). The profile in MeV per common bin, divided by the bin
 * width, is the sum over layers of each layer's radial energy density dE/dr, so it has no
 * binning artefact. Grids use unit-wide bins of the distance to the grid centre ((n−1)/2, cell
 * units), each voxel entirely in the bin holding its centre (§5.3).
 */
import { cellCentres, type Geometry } from '@calozoo/core';

/** Common radial bins and how each voxel's energy is shared among them. */
export interface RadialBinning {
  /** Common bin edges (mm for cylindrical, cells for grids), increasing. */
  readonly edges: number[];
  /** Bin centres (midpoints of `edges`). */
  readonly centres: number[];
  /** Unit of the edges. */
  readonly unit: 'mm' | 'cells';
  /** Voxel v shares its energy among the bins `bins[start[v] .. start[v + 1])` with `weights` (summing to 1). */
  readonly start: Int32Array;
  /** Common-bin index of each share. */
  readonly bins: Int32Array;
  /** Fraction of the voxel's energy of each share. */
  readonly weights: Float64Array;
}

/** Builds the radial-profile binning of a geometry. */
export function radialBinning(g: Geometry): RadialBinning {
  if (g.kind === 'grid') {
    const r = cellCentres(g).r;
    const start = new Int32Array(g.voxels + 1);
    const bins = new Int32Array(g.voxels);
    let max = 0;
    for (let i = 0; i < r.length; i++) {
      bins[i] = Math.floor(r[i]);
      start[i + 1] = i + 1;
      if (bins[i] > max) max = bins[i];
    }
    const edges = Array.from({ length: max + 2 }, (_, i) => i);
    return { edges, centres: edges.slice(1).map((e) => e - 0.5), unit: 'cells', start, bins, weights: new Float64Array(g.voxels).fill(1) };
  }
  const edges = [...new Set(g.layers.flatMap((l) => l.rEdges))].sort((a, b) => a - b);
  const index = new Map(edges.map((e, i) => [e, i]));
  const start = new Int32Array(g.voxels + 1);
  const bins: number[] = [];
  const weights: number[] = [];
  for (const l of g.layers) {
    for (let a = 0; a < l.nAlpha; a++) {
      for (let k = 0; k < l.nR; k++) {
        const lo = index.get(l.rEdges[k]) as number;
        const hi = index.get(l.rEdges[k + 1]) as number;
        const width = l.rEdges[k + 1] - l.rEdges[k];
        for (let j = lo; j < hi; j++) {
          bins.push(j);
          weights.push((edges[j + 1] - edges[j]) / width);
        }
        start[l.offset + a * l.nR + k + 1] = bins.length;
      }
    }
  }
  const centres = edges.slice(1).map((e, i) => (edges[i] + e) / 2);
  return { edges, centres, unit: 'mm', start, bins: Int32Array.from(bins), weights: Float64Array.from(weights) };
}

/**
 * Energy per common radial bin of a per-voxel energy array (e.g. the summed or mean shower).
 * @param voxelEnergy MeV per voxel, length `geometry.voxels`
 * @returns MeV per bin of `binning.edges` (divide by the bin width for dE/dr)
 */
export function radialProfile(binning: RadialBinning, voxelEnergy: ArrayLike<number>): Float64Array {
  const out = new Float64Array(binning.edges.length - 1);
  const { start, bins, weights } = binning;
  for (let v = 0; v < voxelEnergy.length; v++) {
    const e = voxelEnergy[v];
    if (e === 0) continue;
    for (let k = start[v]; k < start[v + 1]; k++) out[bins[k]] += e * weights[k];
  }
  return out;
}
