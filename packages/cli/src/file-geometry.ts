/**
 * Which geometry a shower file is in: the --geometry flag, else the file's `geometry`
 * attribute when it names a known geometry with the file's voxel count, else the built-in
 * geometry with that voxel count. One rule for every command.
 */
import { getGeometry, geometriesWithVoxels, type Geometry } from '@calozoo/core';
import { UsageError } from './exit-codes.js';

/** What the rule needs of an open shower file. */
export interface FileShape {
  readonly path: string;
  readonly voxels: number;
  readonly attributes: Readonly<Record<string, unknown>>;
}

/** The file's geometry, or null when neither its attribute nor its voxel count tells. */
export function detectFileGeometry(f: FileShape): Geometry | null {
  const attr = f.attributes.geometry;
  if (typeof attr === 'string') {
    try {
      const g = getGeometry(attr);
      if (g.voxels === f.voxels) return g;
    } catch {
      /* not a known id: fall back to the voxel count */
    }
  }
  const candidates = geometriesWithVoxels(f.voxels);
  return candidates.length === 1 ? candidates[0] : null;
}

/** The geometry named by `flag` (checked against the file) or detected; a UsageError when unknown. */
export function resolveFileGeometry(f: FileShape, flag?: string): Geometry {
  if (flag) {
    const g = getGeometry(flag);
    if (g.voxels !== f.voxels) throw new UsageError(`--geometry ${flag} has ${g.voxels} voxels but ${f.path} has ${f.voxels} per shower`);
    return g;
  }
  const g = detectFileGeometry(f);
  if (!g) throw new UsageError(`cannot tell the geometry of ${f.path} (${f.voxels} voxels per shower); pass --geometry`);
  return g;
}
