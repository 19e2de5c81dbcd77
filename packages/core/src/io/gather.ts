/**
 * Row gathering and concatenation of `Showers` that carry their row indices. Internal to the
 * I/O module (the dataset's shuffle buffer and subset reads).
 */
import { concatShowers, type Showers } from '../showers.js';

/** Showers with the row index of each shower. */
export interface IndexedShowers extends Showers {
  indices: Uint32Array;
}

/** Copies rows `idx` of `s` (in that order) into new arrays. */
export function gatherShowers<T extends Showers & { indices?: Uint32Array }>(s: T, idx: ArrayLike<number>): T {
  const V = s.voxels;
  const n = idx.length;
  const values = new Float32Array(n * V);
  const energy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = idx[i];
    energy[i] = s.energy[r];
    values.set(s.values.subarray(r * V, (r + 1) * V), i * V);
  }
  const out = { ...s, n, energy, values };
  const pick = (a: Float32Array | Uint32Array): typeof a => {
    const b = new (a.constructor as { new (n: number): typeof a })(n);
    for (let i = 0; i < n; i++) b[i] = a[idx[i]];
    return b;
  };
  if (s.theta) out.theta = pick(s.theta) as Float32Array;
  if (s.phi) out.phi = pick(s.phi) as Float32Array;
  if (s.indices) out.indices = pick(s.indices) as Uint32Array;
  return out;
}

/**
 * `gatherShowers` in place, for ascending `idx`: row idx[i] moves to row i (never forward, so no
 * row is overwritten before it is read) and the result views the first idx.length rows of `s`'s
 * own arrays. For buffers the caller owns (no second copy of a block).
 */
export function compactShowers<T extends Showers>(s: T, idx: ArrayLike<number>): T {
  const V = s.voxels;
  const n = idx.length;
  for (let i = 1; i < n; i++) if (idx[i]! <= idx[i - 1]!) throw new Error('compactShowers: indices must be ascending');
  const move = (a: Float32Array, width: number): void => {
    for (let i = 0; i < n; i++) {
      const r = idx[i]!;
      if (r !== i) a.copyWithin(i * width, r * width, (r + 1) * width);
    }
  };
  move(s.values, V);
  move(s.energy, 1);
  const out = { ...s, n, values: s.values.subarray(0, n * V), energy: s.energy.subarray(0, n) };
  for (const c of ['theta', 'phi'] as const) {
    const a = s[c];
    if (a) {
      move(a, 1);
      out[c] = a.subarray(0, n);
    }
  }
  return out;
}

/**
 * Concatenates parts (same voxels and conditions) into one, indices included; a single part is
 * returned as is, no part gives an empty batch.
 */
export function concatIndexed(parts: readonly IndexedShowers[], voxels: number): IndexedShowers {
  if (parts.length === 1) return parts[0];
  if (parts.length === 0) return { n: 0, voxels, energy: new Float32Array(0), values: new Float32Array(0), indices: new Uint32Array(0) };
  const out = concatShowers(parts);
  const indices = new Uint32Array(out.n);
  let at = 0;
  for (const p of parts) {
    indices.set(p.indices.subarray(0, p.n), at);
    at += p.n;
  }
  return { ...out, indices };
}

/**
 * Copies rows `idx` of the virtual concatenation of `parts` (row offsets `offsets`, length
 * parts + 1) into one new batch, without building the concatenation; into the leading rows of
 * `into` (views of its arrays, which must hold ≥ idx.length rows) when given.
 */
export function gatherFromParts(parts: readonly IndexedShowers[], offsets: readonly number[], idx: ArrayLike<number>, voxels: number, into?: IndexedShowers): IndexedShowers {
  const n = idx.length;
  const out: IndexedShowers = into
    ? { n, voxels, energy: into.energy.subarray(0, n), values: into.values.subarray(0, n * voxels), indices: into.indices.subarray(0, n) }
    : { n, voxels, energy: new Float32Array(n), values: new Float32Array(n * voxels), indices: new Uint32Array(n) };
  if (parts[0]?.theta) out.theta = into?.theta ? into.theta.subarray(0, n) : new Float32Array(n);
  if (parts[0]?.phi) out.phi = into?.phi ? into.phi.subarray(0, n) : new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const j = idx[i];
    let lo = 0;
    let hi = parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (offsets[mid] <= j) lo = mid;
      else hi = mid - 1;
    }
    const p = parts[lo];
    const r = j - offsets[lo];
    out.energy[i] = p.energy[r];
    out.indices[i] = p.indices[r];
    out.values.set(p.values.subarray(r * voxels, (r + 1) * voxels), i * voxels);
    if (out.theta && p.theta) out.theta[i] = p.theta[r];
    if (out.phi && p.phi) out.phi[i] = p.phi[r];
  }
  return out;
}
