/**
 * Fréchet Physics Distance as jetnet computes it (field-reference.md §2.5): Fréchet distances of
 * bootstrap batches of growing size N, fitted by FD(N) = a + b/N with a, b ≥ 0; FPD = a, with
 * the fit's standard error. Batches are drawn with calozoo's `Rng` (NumPy's generator is not
 * reproduced), so values agree with jetnet in distribution, not digit for digit.
 */
import { InvalidArgumentError, Rng } from '@calozoo/core';
import { linspace } from '../histogram.js';
import { KernelPool, defaultThreads } from './pool.js';
import type { FeatureMatrix } from './physics-features.js';

/** Options of `fpd`. */
export interface FpdOptions {
  /** Smallest batch size (jetnet `min_samples`; the challenge uses 10 000). */
  minSamples?: number;
  /** Largest batch size (jetnet `max_samples`, 50 000). */
  maxSamples?: number;
  /** Repetitions per batch size (20). */
  repetitions?: number;
  /** Number of batch sizes (10). */
  points?: number;
  /** Seed of the bootstrap (42). */
  seed?: number;
  /** Worker threads (default min(2, cores)); the result does not depend on it. */
  threads?: number;
}

/** FPD result: value ± error and the points of the fit. */
export interface FpdResult {
  /** Extrapolated Fréchet distance a (raw; the challenge reports ×10³). */
  value: number;
  /** Standard error of a from the fit. */
  error: number;
  /** Batch sizes used. */
  batchSizes: number[];
  /** Mean Fréchet distance per batch size. */
  distances: number[];
  /** Slope b of FD(N) = a + b/N. */
  slope: number;
}

/**
 * Batch sizes: `points` values evenly spaced in 1/N between 1/min and 1/max (truncated to
 * integers as jetnet does). When a sample has fewer rows than `max`, the range is clipped to
 * [min(min, n/5), n] so that no batch is larger than the smaller sample.
 */
export function fpdBatchSizes(nAvailable: number, minSamples = 10_000, maxSamples = 50_000, points = 10): number[] {
  let hi = maxSamples;
  let lo = minSamples;
  if (nAvailable < hi) {
    hi = nAvailable;
    lo = Math.min(lo, Math.max(2, Math.floor(nAvailable / 5)));
  }
  return Array.from(linspace(1 / lo, 1 / hi, points), (inv) => Math.trunc(1 / inv));
}

/**
 * Least squares of y = a + b·x with a, b ≥ 0 (the box-constrained optimum) and the standard
 * error of a as `scipy.optimize.curve_fit` reports it: sqrt(diag((JᵀJ)⁻¹)·SSR/(n − 2)).
 */
export function fitNonNegativeLine(x: readonly number[], y: readonly number[]): { a: number; b: number; aError: number } {
  const n = x.length;
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += x[i];
    sy += y[i];
    sxx += x[i] * x[i];
    sxy += x[i] * y[i];
  }
  const det = n * sxx - sx * sx;
  let a = (sxx * sy - sx * sxy) / det;
  let b = (n * sxy - sx * sy) / det;
  if (a < 0 || b < 0) {
    // candidates on the boundary: a = 0 (b free, ≥ 0) or b = 0 (a = mean, ≥ 0)
    const bOnly = Math.max(0, sxy / sxx);
    const aOnly = Math.max(0, sy / n);
    const ssr = (aa: number, bb: number): number => {
      let s = 0;
      for (let i = 0; i < n; i++) s += (y[i] - aa - bb * x[i]) ** 2;
      return s;
    };
    if (ssr(0, bOnly) <= ssr(aOnly, 0)) {
      a = 0;
      b = bOnly;
    } else {
      a = aOnly;
      b = 0;
    }
  }
  let ssr = 0;
  for (let i = 0; i < n; i++) ssr += (y[i] - a - b * x[i]) ** 2;
  const varA = (sxx / det) * (ssr / (n - 2));
  return { a, b, aError: Math.sqrt(Math.max(0, varA)) };
}

function drawIndices(rng: Rng, n: number, size: number): Uint32Array {
  const idx = new Uint32Array(size);
  for (let i = 0; i < size; i++) idx[i] = rng.int(n);
  return idx;
}

/** FPD between two (already normalised) feature matrices (§2.5). */
export async function fpd(reference: FeatureMatrix, generated: FeatureMatrix, options: FpdOptions = {}): Promise<FpdResult> {
  if (reference.d !== generated.d) throw new InvalidArgumentError(`fpd: feature dimensions differ (${reference.d} vs ${generated.d})`);
  const d = reference.d;
  const reps = options.repetitions ?? 20;
  const sizes = fpdBatchSizes(Math.min(reference.n, generated.n), options.minSamples, options.maxSamples, options.points ?? 10);
  if (sizes[0] < 2) throw new InvalidArgumentError(`fpd: need at least 10 showers per sample, got ${Math.min(reference.n, generated.n)}`);
  const rng = new Rng(options.seed ?? 42);
  const pool = new KernelPool(reference.data, generated.data, d, options.threads ?? defaultThreads());
  const distances: number[] = [];
  try {
    for (const size of sizes) {
      const tasks: { xi: Uint32Array; yi: Uint32Array }[] = [];
      for (let k = 0; k < reps; k++) tasks.push({ xi: drawIndices(rng, reference.n, size), yi: drawIndices(rng, generated.n, size) });
      const values = await pool.frechet(tasks);
      distances.push(values.reduce((s, v) => s + v, 0) / reps);
    }
  } finally {
    await pool.close();
  }
  const fit = fitNonNegativeLine(sizes.map((s) => 1 / s), distances);
  return { value: fit.a, error: fit.aError, batchSizes: sizes, distances, slope: fit.b };
}
