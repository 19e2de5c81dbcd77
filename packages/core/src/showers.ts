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

/** Wraps in-memory showers as a `ShowerSource`-compatible object (n, voxels, readRange). */
export function memorySource(s: Showers): { n: number; voxels: number; readRange(start: number, end: number): Showers } {
  return { n: s.n, voxels: s.voxels, readRange: (start, end) => sliceShowers(s, start, end) };
}

/** Concatenates several sets of showers with the same voxel count into one (copies). */
export function concatShowers(parts: readonly Showers[]): Showers {
  if (parts.length === 0) throw new RangeError('concatShowers: nothing to concatenate');
  const voxels = parts[0].voxels;
  const n = parts.reduce((a, p) => a + p.n, 0);
  const out: Showers = { n, voxels, energy: new Float32Array(n), values: new Float32Array(n * voxels) };
  const hasTheta = parts.every((p) => p.theta);
  const hasPhi = parts.every((p) => p.phi);
  if (hasTheta) out.theta = new Float32Array(n);
  if (hasPhi) out.phi = new Float32Array(n);
  let at = 0;
  for (const p of parts) {
    if (p.voxels !== voxels) throw new RangeError(`concatShowers: voxel counts differ (${voxels} vs ${p.voxels})`);
    out.energy.set(p.energy.subarray(0, p.n), at);
    out.values.set(p.values.subarray(0, p.n * voxels), at * voxels);
    if (hasTheta) out.theta!.set(p.theta!.subarray(0, p.n), at);
    if (hasPhi) out.phi!.set(p.phi!.subarray(0, p.n), at);
    at += p.n;
  }
  return out;
}
