/**
 * Histograms exactly as NumPy builds them (`np.linspace`, `np.logspace`, `np.histogram` with an
 * edge array), so that separation powers agree with the official CaloChallenge script
 * (field-reference.md §2.2): bin i holds edge_i ≤ x < edge_{i+1}, the last bin also holds
 * x = last edge, and entries outside [first, last] edge are dropped.
 */
import { InvalidArgumentError } from '@calozoo/core';

/** `np.linspace(start, stop, num)`: i·step + start with the last value set to `stop`. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  if (!(Number.isInteger(num) && num >= 2)) throw new InvalidArgumentError(`linspace: num must be an integer >= 2, got ${num}`);
  const out = new Float64Array(num);
  const step = (stop - start) / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + start;
  out[num - 1] = stop;
  return out;
}

/**
 * `np.logspace(log10(lo), log10(hi), num)`: `num` edges log-spaced from lo to hi (both > 0), with
 * the end edges set to exactly lo and hi. (NumPy's 10**log10(hi) can round one ulp below hi,
 * which silently drops the reference maximum from the official E_layer and voxel histograms
 * depending on the platform's libm; calozoo always keeps it.)
 */
export function logEdges(lo: number, hi: number, num: number): Float64Array {
  if (!(lo > 0 && hi > 0)) throw new InvalidArgumentError(`logEdges: bounds must be > 0, got ${lo}, ${hi}`);
  const e = linspace(Math.log10(lo), Math.log10(hi), num);
  for (let i = 0; i < num; i++) e[i] = Math.pow(10, e[i]);
  e[0] = lo;
  e[num - 1] = hi;
  return e;
}

/** Index of the bin holding x (NumPy semantics), or -1 when x is outside the edges. */
export function binIndex(edges: Float64Array, x: number): number {
  const n = edges.length - 1;
  if (!(x >= edges[0] && x <= edges[n])) return -1;
  if (x === edges[n]) return n - 1;
  let lo = 0;
  let hi = n; // edges[lo] <= x < edges[hi]
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** Counts of `values` in the bins of `edges` (float64 counts, NumPy semantics). */
export function histogram(values: ArrayLike<number>, edges: Float64Array): Float64Array {
  const counts = new Float64Array(edges.length - 1);
  for (let i = 0; i < values.length; i++) {
    const b = binIndex(edges, values[i]);
    if (b >= 0) counts[b]++;
  }
  return counts;
}

/** Unit-sum probabilities from counts (`density=True` times the bin widths); all zero if empty. */
export function toProbabilities(counts: ArrayLike<number>): Float64Array {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  const p = new Float64Array(counts.length);
  if (total > 0) for (let i = 0; i < counts.length; i++) p[i] = counts[i] / total;
  return p;
}

/** A histogram of one observable for the reference and the generated sample. */
export interface HistogramPair {
  /** Bin edges (length bins + 1). */
  edges: number[];
  /** Reference counts per bin (entries in range only). */
  reference: number[];
  /** Generated counts per bin. */
  generated: number[];
  /** Whether the x axis is logarithmic (log-spaced edges). */
  logX: boolean;
}
