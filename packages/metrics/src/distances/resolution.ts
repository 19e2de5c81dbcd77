/**
 * μ90 and σ90 (field-reference.md §5.3): the mean and standard deviation of the shortest window
 * of sorted values that holds 90 % of them (n90 = n − floor(n/10) values; ties resolve to the
 * lowest window), with errors σ90/√n90 and σ90/√(2·n90).
 */

/** μ90/σ90 of one sample and their statistical errors. */
export interface Mu90 {
  /** Mean inside the shortest 90 % window. */
  mu90: number;
  /** Standard deviation (population, ddof 0) inside the window. */
  sigma90: number;
  /** Error of μ90: σ90/√n90. */
  mu90Error: number;
  /** Error of σ90: σ90/√(2·n90). */
  sigma90Error: number;
  /** Number of values in the window. */
  n90: number;
}

/** Computes μ90/σ90 of `values` (NaN fields for an empty sample). */
export function mu90(values: ArrayLike<number>): Mu90 {
  const x = Float64Array.from(values as ArrayLike<number>).sort();
  const n = x.length;
  if (n === 0) return { mu90: NaN, sigma90: NaN, mu90Error: NaN, sigma90Error: NaN, n90: 0 };
  const n90 = n - Math.floor(n / 10);
  let best = 0;
  let width = Infinity;
  for (let i = 0; i + n90 <= n; i++) {
    const w = x[i + n90 - 1] - x[i];
    if (w < width) {
      width = w;
      best = i;
    }
  }
  let s = 0;
  for (let i = best; i < best + n90; i++) s += x[i];
  const mu = s / n90;
  let ss = 0;
  for (let i = best; i < best + n90; i++) ss += (x[i] - mu) * (x[i] - mu);
  const sigma = Math.sqrt(ss / n90);
  return { mu90: mu, sigma90: sigma, mu90Error: sigma / Math.sqrt(n90), sigma90Error: sigma / Math.sqrt(2 * n90), n90 };
}
