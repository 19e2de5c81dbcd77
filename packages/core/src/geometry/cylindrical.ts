/**
 * CaloChallenge cylindrical binnings: construction and voxel-index arithmetic.
 * Ordering follows the official XMLHandler: layers by increasing id, then angular bin, then
 * radial bin fastest (`flat = offset(layer) + alpha·nR + r`), field-reference.md §1.2.
 */
import { GeometryError, InvalidArgumentError } from '../errors.js';
import type { CylindricalGeometry, CylindricalLayer } from './types.js';

/** One layer as written in a binning file: id, radial edges in mm and angular bin count. */
export interface LayerSpec {
  id: number;
  rEdges: readonly number[];
  nAlpha: number;
}

/** Builds a cylindrical geometry from layer specifications (empty layers are dropped). */
export function cylindricalGeometry(id: string, particle: string, specs: readonly LayerSpec[], source = id): CylindricalGeometry {
  const sorted = [...specs].sort((a, b) => a.id - b.id);
  const layers: CylindricalLayer[] = [];
  let offset = 0;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i];
    if (i > 0 && sorted[i - 1].id === s.id) throw new GeometryError(`${source}: layer id ${s.id} appears twice.`);
    if (!Number.isInteger(s.nAlpha) || s.nAlpha < 1) {
      throw new GeometryError(`${source}: layer ${s.id} has n_bin_alpha=${s.nAlpha}; expected a positive integer.`);
    }
    for (let k = 1; k < s.rEdges.length; k++) {
      if (!(s.rEdges[k] > s.rEdges[k - 1])) {
        throw new GeometryError(`${source}: layer ${s.id} has r_edges that do not increase (${s.rEdges.join(',')}).`);
      }
    }
    const nR = Math.max(0, s.rEdges.length - 1);
    if (nR === 0) continue;
    const voxels = nR * s.nAlpha;
    layers.push({ id: s.id, rEdges: [...s.rEdges], nR, nAlpha: s.nAlpha, offset, voxels });
    offset += voxels;
  }
  if (offset === 0) throw new GeometryError(`${source}: the binning has no voxels (every layer has r_edges="0").`);
  return { kind: 'cylindrical', id, particle, layers, voxels: offset };
}

/** Position of one voxel in a cylindrical geometry. */
export interface CylindricalIndex {
  /** Position in `geometry.layers` (not the XML id). */
  layerIndex: number;
  /** Layer id as in the XML. */
  layerId: number;
  /** Radial bin. */
  r: number;
  /** Angular bin. */
  alpha: number;
}

/** Converts a flat voxel index to (layer, r bin, alpha bin). */
export function cylindricalIndex(g: CylindricalGeometry, flat: number): CylindricalIndex {
  if (!Number.isInteger(flat) || flat < 0 || flat >= g.voxels) {
    throw new InvalidArgumentError(`voxel index ${flat} is outside [0, ${g.voxels}) for geometry "${g.id}"`);
  }
  let lo = 0;
  let hi = g.layers.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (g.layers[mid].offset <= flat) lo = mid;
    else hi = mid - 1;
  }
  const layer = g.layers[lo];
  const local = flat - layer.offset;
  return { layerIndex: lo, layerId: layer.id, r: local % layer.nR, alpha: Math.floor(local / layer.nR) };
}

/** Converts (layer id, r bin, alpha bin) to the flat voxel index. */
export function cylindricalFlatIndex(g: CylindricalGeometry, layerId: number, r: number, alpha: number): number {
  const layer = g.layers.find((l) => l.id === layerId);
  if (!layer) throw new InvalidArgumentError(`geometry "${g.id}" has no non-empty layer with id ${layerId}; layers: ${g.layers.map((l) => l.id).join(', ')}`);
  if (!(r >= 0 && r < layer.nR && Number.isInteger(r))) throw new InvalidArgumentError(`radial bin ${r} outside [0, ${layer.nR}) in layer ${layerId}`);
  if (!(alpha >= 0 && alpha < layer.nAlpha && Number.isInteger(alpha))) {
    throw new InvalidArgumentError(`angular bin ${alpha} outside [0, ${layer.nAlpha}) in layer ${layerId}`);
  }
  return layer.offset + alpha * layer.nR + r;
}
