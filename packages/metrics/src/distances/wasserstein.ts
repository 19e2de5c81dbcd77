/**
 * Exact 1-Wasserstein distance between two empirical distributions: the integral of
 * |F_u − F_v| over the merged sorted samples (the formula of `scipy.stats.wasserstein_distance`).
 */

/** Returns a sorted float64 copy of `x`. */
export function sorted(x: ArrayLike<number>): Float64Array {
  const s = Float64Array.from(x as ArrayLike<number>);
  s.sort();
  return s;
}

/** W1 between two samples already sorted ascending. */
export function wasserstein1Sorted(u: Float64Array, v: Float64Array): number {
  const nu = u.length;
  const nv = v.length;
  if (nu === 0 || nv === 0) return NaN;
  let i = 0;
  let j = 0;
  let prev = Math.min(u[0], v[0]);
  let w = 0;
  while (i < nu || j < nv) {
    const next = j >= nv || (i < nu && u[i] <= v[j]) ? u[i] : v[j];
    w += Math.abs(i / nu - j / nv) * (next - prev);
    prev = next;
    while (i < nu && u[i] === next) i++;
    while (j < nv && v[j] === next) j++;
  }
  return w;
}

/** W1 between two samples (copied and sorted). */
export function wasserstein1(u: ArrayLike<number>, v: ArrayLike<number>): number {
  return wasserstein1Sorted(sorted(u), sorted(v));
}
