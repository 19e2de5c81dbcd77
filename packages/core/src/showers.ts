/**
 * The plain-array data types passed between packages: conditions and showers. Tensors never
 * cross a package boundary, so metrics and the CLI need no TensorFlow.js.
 */

/** Conditions of n showers: incident energy in MeV, optional angles in rad. */
export interface Conditions {
  /** Incident energy per shower, MeV. */
  energy: Float32Array;
  /** Polar angle per shower, rad (angular datasets only). */
  theta?: Float32Array;
  /** Azimuthal angle per shower, rad (angular datasets only). */
  phi?: Float32Array;
}

/** n showers of `voxels` cells each, row-major (shower-major), in MeV. */
export interface Showers {
  /** Number of showers. */
  n: number;
  /** Voxels per shower (the geometry's voxel count). */
  voxels: number;
  /** Incident energy per shower, MeV (length n). */
  energy: Float32Array;
  /** Voxel energies, MeV (length n · voxels). */
  values: Float32Array;
  /** Optional extra conditions (angles), rad. */
  theta?: Float32Array;
  /** Optional azimuthal angle, rad. */
  phi?: Float32Array;
}

/** Names of the optional condition arrays that a file or model may carry. */
export type ConditionName = 'energy' | 'theta' | 'phi';

/** Returns the conditions of a set of showers (sharing, not copying, the arrays). */
export function conditionsOf(s: Showers): Conditions {
  const c: Conditions = { energy: s.energy };
  if (s.theta) c.theta = s.theta;
  if (s.phi) c.phi = s.phi;
  return c;
}

/** Returns showers [start, end) of `s` as views (no copy). */
export function sliceShowers(s: Showers, start: number, end: number): Showers {
  const out: Showers = {
    n: end - start,
    voxels: s.voxels,
    energy: s.energy.subarray(start, end),
    values: s.values.subarray(start * s.voxels, end * s.voxels),
  };
  if (s.theta) out.theta = s.theta.subarray(start, end);
  if (s.phi) out.phi = s.phi.subarray(start, end);
  return out;
}
