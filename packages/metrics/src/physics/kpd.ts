/**
 * Kernel Physics Distance as jetnet computes it (field-reference.md §2.5): unbiased MMD² with
 * the polynomial kernel k(x, y) = (x·y/d + 1)⁴ on bootstrap batches; KPD = median over batches,
 * error = half the 16.275–83.725 percentile spread.
 *
 * The pair sums are evaluated exactly through symmetric moment tensors:
 * Σ_{a,b} k(x_a, y_b) = Σ_j C(4, j) d^{-j} ⟨S_j(X), S_j(Y)⟩ with S_j(X) = Σ_a x_a^{⊗j}, which
 * costs O(n·C(d+3, 4)) instead of O(n²·d); for large d the direct O(n²·d) sum is used.
 */
import { InvalidArgumentError, Rng } from '@calozoo/core';
import { KERNELS, POLY_PAIR_SUM, kernelOutputLength } from './kernels.js';
import type { FeatureMatrix } from './physics-features.js';
import { KernelPool, defaultThreads, type PairTask } from './pool.js';

/** Options of `kpd`. */
export interface KpdOptions {
  /** Number of batches (10). */
  batches?: number;
  /** Rows drawn per batch and sample (10 000 in the challenge); clipped to the smaller sample. */
  batchSize?: number;
  /** Base seed; batch i uses stream seed + 1000·i (42). */
  seed?: number;
  /** Force the evaluation path (default: the cheaper one). */
  method?: 'moments' | 'direct';
  /** Worker threads (default min(2, cores)); the result does not depend on it. */
  threads?: number;
}

/** KPD result. */
export interface KpdResult {
  /** Median unbiased MMD² over batches (raw; the challenge reports ×10³). */
  value: number;
  /** Half the 16.275–83.725 percentile spread. */
  error: number;
  /** MMD² per batch. */
  perBatch: number[];
  /** Rows per batch. */
  batchSize: number;
}

const BINOM4 = [1, 4, 6, 4, 1];

/** Σ_{a,b} k(x_a, y_b) from the `momentSums` outputs of two row sets of sizes nx, ny. */
function kernelSum(a: Float64Array, b: Float64Array, w: Float64Array[], d: number, nx: number, ny: number): number {
  let total = nx * ny; // degree 0
  let o = 0;
  for (let j = 1; j <= 4; j++) {
    const wj = w[j - 1];
    let s = 0;
    for (let i = 0; i < wj.length; i++) s += wj[i] * a[o + i] * b[o + i];
    o += wj.length;
    total += (BINOM4[j] * s) / d ** j;
  }
  return total;
}

function factorial(k: number): number {
  return k <= 1 ? 1 : k * factorial(k - 1);
}

/** Multinomial weights j!/Π(multiplicity!) of the sorted index tuples of degree 1–4 in d dims. */
function momentWeights(d: number): Float64Array[] {
  const out: number[][] = [[], [], [], []];
  const weight = (t: number[]): number => {
    const counts = new Map<number, number>();
    for (const v of t) counts.set(v, (counts.get(v) ?? 0) + 1);
    let den = 1;
    for (const c of counts.values()) den *= factorial(c);
    return factorial(t.length) / den;
  };
  for (let i = 0; i < d; i++) {
    out[0].push(1);
    for (let j = i; j < d; j++) {
      out[1].push(weight([i, j]));
      for (let k = j; k < d; k++) {
        out[2].push(weight([i, j, k]));
        for (let l = k; l < d; l++) out[3].push(weight([i, j, k, l]));
      }
    }
  }
  return out.map((w) => Float64Array.from(w));
}

function selfKernel(x: Float64Array, d: number, idx: ArrayLike<number>): number {
  let s = 0;
  for (let r = 0; r < idx.length; r++) {
    const o = idx[r] * d;
    let dot = 0;
    for (let j = 0; j < d; j++) dot += x[o + j] * x[o + j];
    s += (dot / d + 1) ** 4;
  }
  return s;
}

/**
 * Unbiased MMD² with k(x,y) = (x·y/d + 1)⁴ between rows `xi` of x and `yi` of y (both row-major,
 * d columns): Σ_{a≠b} k(x_a,x_b)/(m(m−1)) + Σ_{a≠b} k(y_a,y_b)/(n(n−1)) − 2·mean k(x_a,y_b).
 */
export function mmdPolyUnbiased(x: Float64Array, xi: ArrayLike<number>, y: Float64Array, yi: ArrayLike<number>, d: number, method?: 'moments' | 'direct'): number {
  const m = xi.length;
  const n = yi.length;
  let kxx: number, kyy: number, kxy: number;
  if (useMomentPath(d, m, n, method)) {
    const w = momentWeights(d);
    const size = kernelOutputLength('momentSums', d);
    const mx = new Float64Array(size);
    const my = new Float64Array(size);
    KERNELS.momentSums(x, d, Uint32Array.from(xi), mx);
    KERNELS.momentSums(y, d, Uint32Array.from(yi), my);
    return mmdFromMoments(mx, my, w, d, m, n, selfKernel(x, d, xi), selfKernel(y, d, yi));
  } else {
    const a = Uint32Array.from(xi);
    const b = Uint32Array.from(yi);
    kxx = 2 * POLY_PAIR_SUM(x, a, 0, m, x, a, d, true);
    kyy = 2 * POLY_PAIR_SUM(y, b, 0, n, y, b, d, true);
    kxy = POLY_PAIR_SUM(x, a, 0, m, y, b, d, false);
  }
  return unbiasedMmd(kxx, kyy, kxy, m, n);
}

/** Unbiased MMD² from the off-diagonal pair sums Σ_{a≠b} k(x_a,x_b), Σ_{a≠b} k(y_a,y_b) and Σ k(x_a,y_b) of m and n rows. */
function unbiasedMmd(kxx: number, kyy: number, kxy: number, m: number, n: number): number {
  return kxx / (m * (m - 1)) + kyy / (n * (n - 1)) - (2 * kxy) / (m * n);
}

function mmdFromMoments(mx: Float64Array, my: Float64Array, w: Float64Array[], d: number, m: number, n: number, selfX: number, selfY: number): number {
  const kxx = kernelSum(mx, mx, w, d, m, m) - selfX;
  const kyy = kernelSum(my, my, w, d, n, n) - selfY;
  const kxy = kernelSum(mx, my, w, d, m, n);
  return unbiasedMmd(kxx, kyy, kxy, m, n);
}

function useMomentPath(d: number, m: number, n: number, method?: 'moments' | 'direct'): boolean {
  if (method) return method === 'moments';
  return ((d + 3) * (d + 2) * (d + 1) * d) / 24 < ((m + n) * d) / 2;
}

/** NumPy's default (linear) percentile of a sample, q in [0, 100]. */
export function percentile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = ((s.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** KPD between two (already normalised) feature matrices (§2.5). */
export async function kpd(reference: FeatureMatrix, generated: FeatureMatrix, options: KpdOptions = {}): Promise<KpdResult> {
  if (reference.d !== generated.d) throw new InvalidArgumentError(`kpd: feature dimensions differ (${reference.d} vs ${generated.d})`);
  const d = reference.d;
  const batches = options.batches ?? 10;
  const size = Math.min(options.batchSize ?? 10_000, reference.n, generated.n);
  if (size < 2) throw new InvalidArgumentError('kpd: need at least 2 showers per sample');
  const seed = options.seed ?? 42;
  const draws: { xi: Uint32Array; yi: Uint32Array }[] = [];
  for (let i = 0; i < batches; i++) {
    const rng = new Rng(seed + 1000 * i);
    const xi = new Uint32Array(size);
    const yi = new Uint32Array(size);
    for (let k = 0; k < size; k++) xi[k] = rng.int(reference.n);
    for (let k = 0; k < size; k++) yi[k] = rng.int(generated.n);
    draws.push({ xi, yi });
  }
  let perBatch: number[];
  const pool = new KernelPool(reference.data, generated.data, d, options.threads ?? defaultThreads());
  try {
    if (useMomentPath(d, size, size, options.method)) {
      const w = momentWeights(d);
      const sums = await pool.map('momentSums', draws.flatMap((b) => [{ which: 'x' as const, idx: b.xi }, { which: 'y' as const, idx: b.yi }]));
      perBatch = draws.map((b, i) => mmdFromMoments(sums[2 * i], sums[2 * i + 1], w, d, size, size, selfKernel(reference.data, d, b.xi), selfKernel(generated.data, d, b.yi)));
    } else {
      // direct pair sums, each split into row ranges so that the workers share every batch
      const parts = Math.max(1, Math.min(16, Math.floor(size / 64)));
      const tasks: PairTask[] = [];
      for (const b of draws) {
        for (const [x, xi, y, yi, upper] of [['x', b.xi, 'x', b.xi, true], ['y', b.yi, 'y', b.yi, true], ['x', b.xi, 'y', b.yi, false]] as const) {
          for (let k = 0; k < parts; k++) tasks.push({ x, xi, lo: Math.floor((k * size) / parts), hi: Math.floor(((k + 1) * size) / parts), y, yi, upper });
        }
      }
      const sums = await pool.pairSums(tasks);
      perBatch = draws.map((_, i) => {
        const part = (which: number): number => {
          let s = 0;
          for (let k = 0; k < parts; k++) s += sums[(3 * i + which) * parts + k];
          return s;
        };
        return unbiasedMmd(2 * part(0), 2 * part(1), part(2), size, size);
      });
    }
  } finally {
    await pool.close();
  }
  const value = percentile(perBatch, 50);
  const error = (percentile(perBatch, 83.725) - percentile(perBatch, 16.275)) / 2;
  return { value, error, perBatch, batchSize: size };
}
