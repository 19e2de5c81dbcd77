/**
 * Regular Cartesian grids (ILD calorimeters and user-given shapes), flattened as (z, x, y) with
 * y fastest, the axis order of the DESY HDF5 files (field-reference.md §5).
 */
import { GeometryError, InvalidArgumentError } from '../errors.js';
import type { GridGeometry } from './types.js';

/** Builds a regular grid geometry of shape [layers, x, y] with the given cell pitch in mm. */
export function gridGeometry(
  id: string,
  shape: readonly [number, number, number],
  cellSizeMm: readonly [number, number, number] = [1, 1, 1],
  particle = 'photon',
): GridGeometry {
  if (shape.length !== 3 || !shape.every((s) => Number.isInteger(s) && s > 0)) {
    throw new GeometryError(`grid geometry "${id}": shape must be three positive integers [layers, x, y], got [${shape.join(', ')}]`);
  }
  if (!cellSizeMm.every((s) => s > 0)) throw new GeometryError(`grid geometry "${id}": cell sizes must be > 0 mm`);
  return { kind: 'grid', id, particle, shape: [shape[0], shape[1], shape[2]], cellSizeMm: [...cellSizeMm] as [number, number, number], voxels: shape[0] * shape[1] * shape[2] };
}

/** Converts a flat voxel index of a grid to (z, x, y). */
export function gridIndex(g: GridGeometry, flat: number): { z: number; x: number; y: number } {
  if (!Number.isInteger(flat) || flat < 0 || flat >= g.voxels) {
    throw new InvalidArgumentError(`voxel index ${flat} is outside [0, ${g.voxels}) for geometry "${g.id}"`);
  }
  const [, nx, ny] = g.shape;
  const y = flat % ny;
  const x = Math.floor(flat / ny) % nx;
  const z = Math.floor(flat / (nx * ny));
  return { z, x, y };
}

/** Converts (z, x, y) to the flat voxel index of a grid. */
export function gridFlatIndex(g: GridGeometry, z: number, x: number, y: number): number {
  const [nz, nx, ny] = g.shape;
  if (!(z >= 0 && z < nz && x >= 0 && x < nx && y >= 0 && y < ny)) {
    throw new InvalidArgumentError(`cell (${z}, ${x}, ${y}) is outside the grid [${g.shape.join(', ')}] of "${g.id}"`);
  }
  return (z * nx + x) * ny + y;
}

/** Parses a grid id of the form `grid-30x30x30` into a geometry, or returns undefined. */
export function parseGridId(id: string): GridGeometry | undefined {
  const m = /^grid-(\d+)x(\d+)x(\d+)$/.exec(id);
  if (!m) return undefined;
  return gridGeometry(id, [Number(m[1]), Number(m[2]), Number(m[3])]);
}
