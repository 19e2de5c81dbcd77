/**
 * Geometry registry: built-in ids, aliases and `grid-ZxXxY` ids resolve to a `Geometry`.
 */
import { GeometryError } from '../errors.js';
import { BUILTIN_GEOMETRY_IDS, GEOMETRY_ALIASES, builtinGeometry, type BuiltinGeometryId } from './builtin.js';
import { parseGridId } from './grid.js';
import type { Geometry } from './types.js';

export * from './types.js';
export * from './cylindrical.js';
export * from './grid.js';
export * from './xml.js';
export * from './centres.js';
export { BUILTIN_GEOMETRY_IDS, GEOMETRY_ALIASES, builtinGeometry, type BuiltinGeometryId } from './builtin.js';

/** Resolves a geometry id or alias (`ds1-photons`, `calochallenge-2`, `ild-ecal`, `grid-30x30x30`). */
export function getGeometry(idOrAlias: string): Geometry {
  const id = GEOMETRY_ALIASES[idOrAlias] ?? idOrAlias;
  if ((BUILTIN_GEOMETRY_IDS as readonly string[]).includes(id)) return builtinGeometry(id as BuiltinGeometryId);
  const grid = parseGridId(id);
  if (grid) return grid;
  throw new GeometryError(
    `unknown geometry "${idOrAlias}". Known: ${BUILTIN_GEOMETRY_IDS.join(', ')} (aliases ${Object.keys(GEOMETRY_ALIASES).join(', ')}), or grid-<layers>x<x>x<y>.`,
  );
}

/** Lists the built-in geometries. */
export function listGeometries(): Geometry[] {
  return BUILTIN_GEOMETRY_IDS.map((id) => builtinGeometry(id));
}

/** Returns the built-in geometries whose voxel count is `voxels` (to suggest one in errors). */
export function geometriesWithVoxels(voxels: number): Geometry[] {
  return listGeometries().filter((g) => g.voxels === voxels);
}
