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
import type { FeatureMatrix } from './physics-features.js';

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

/** Symmetric moment tensors of degrees 1–4 with their multinomial weights. */
class Moments {
  readonly m: Float64Array[];
  constructor(
    readonly d: number,
    readonly w: Float64Array[],
  ) {
    this.m = w.map((x) => new Float64Array(x.length));
  }

  /** Adds rows `idx` of the row-major matrix x. */
  add(x: Float64Array, idx: ArrayLike<number>): void {
    const d = this.d;
    const [m1, m2, m3, m4] = this.m;
    let r = 0;
    for (; r + 3 < idx.length; r += 4) {
      const a = x.subarray(idx[r] * d, idx[r] * d + d);
      const b = x.subarray(idx[r + 1] * d, idx[r + 1] * d + d);
      const c = x.subarray(idx[r + 2] * d, idx[r + 2] * d + d);
      const e = x.subarray(idx[r + 3] * d, idx[r + 3] * d + d);
      let o2 = 0, o3 = 0, o4 = 0;
      for (let i = 0; i < d; i++) {
        const ai = a[i], bi = b[i], ci = c[i], ei = e[i];
        m1[i] += ai + bi + ci + ei;
        for (let j = i; j < d; j++) {
          const aij = ai * a[j], bij = bi * b[j], cij = ci * c[j], eij = ei * e[j];
          m2[o2++] += aij + bij + cij + eij;
          for (let k = j; k < d; k++) {
            const p = aij * a[k], q = bij * b[k], s = cij * c[k], t = eij * e[k];
            m3[o3++] += p + q + s + t;
            for (let l = k; l < d; l++) m4[o4++] += p * a[l] + q * b[l] + s * c[l] + t * e[l];
          }
        }
      }
    }
    for (; r < idx.length; r++) {
      const a = x.subarray(idx[r] * d, idx[r] * d + d);
      let o2 = 0, o3 = 0, o4 = 0;
      for (let i = 0; i < d; i++) {
        const ai = a[i];
        m1[i] += ai;
        for (let j = i; j < d; j++) {
          const aij = ai * a[j];
          m2[o2++] += aij;
          for (let k = j; k < d; k++) {
            const p = aij * a[k];
            m3[o3++] += p;
            for (let l = k; l < d; l++) m4[o4++] += p * a[l];
          }
        }
      }
    }
  }

  /** Σ_{a,b} k(x_a, y_b) for the rows accumulated here and in `other` (n_x, n_y rows). */
  kernelSum(other: Moments, nx: number, ny: number): number {
    const d = this.d;
    let total = nx * ny; // j = 0
    for (let j = 1; j <= 4; j++) {
      const a = this.m[j - 1], b = other.m[j - 1], w = this.w[j - 1];
      let s = 0;
      for (let i = 0; i < a.length; i++) s += w[i] * a[i] * b[i];
      total += (BINOM4[j] * s) / d ** j;
    }
    return total;
  }
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

function directSum(x: Float64Array, xi: ArrayLike<number>, y: Float64Array, yi: ArrayLike<number>, d: number, skipDiagonal: boolean): number {
  let total = 0;
  for (let a = 0; a < xi.length; a++) {
    const oa = xi[a] * d;
    let row = 0;
    for (let b = skipDiagonal ? a + 1 : 0; b < yi.length; b++) {
      const ob = yi[b] * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += x[oa + j] * y[ob + j];
      const k = dot / d + 1;
      const k2 = k * k;
      row += k2 * k2;
    }
    total += row;
  }
  return skipDiagonal ? 2 * total : total;
}

/**
 * Unbiased MMD² with k(x,y) = (x·y/d + 1)⁴ between rows `xi` of x and `yi` of y (both row-major,
 * d columns): Σ_{a≠b} k(x_a,x_b)/(m(m−1)) + Σ_{a≠b} k(y_a,y_b)/(n(n−1)) − 2·mean k(x_a,y_b).
 */
export function mmdPolyUnbiased(x: Float64Array, xi: ArrayLike<number>, y: Float64Array, yi: ArrayLike<number>, d: number, method?: 'moments' | 'direct'): number {
  const m = xi.length;
  const n = yi.length;
  const binom = (d + 3) * (d + 2) * (d + 1) * d / 24;
  const useMoments = method ? method === 'moments' : binom < ((m + n) * d) / 2;
  let kxx: number, kyy: number, kxy: number;
  if (useMoments) {
    const w = momentWeights(d);
    const mx = new Moments(d, w);
    const my = new Moments(d, w);
    mx.add(x, xi);
    my.add(y, yi);
    kxx = mx.kernelSum(mx, m, m) - selfKernel(x, d, xi);
    kyy = my.kernelSum(my, n, n) - selfKernel(y, d, yi);
    kxy = mx.kernelSum(my, m, n);
  } else {
    kxx = directSum(x, xi, x, xi, d, true);
    kyy = directSum(y, yi, y, yi, d, true);
    kxy = directSum(x, xi, y, yi, d, false);
  }
  return kxx / (m * (m - 1)) + kyy / (n * (n - 1)) - (2 * kxy) / (m * n);
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
export function kpd(reference: FeatureMatrix, generated: FeatureMatrix, options: KpdOptions = {}): KpdResult {
  if (reference.d !== generated.d) throw new InvalidArgumentError(`kpd: feature dimensions differ (${reference.d} vs ${generated.d})`);
  const d = reference.d;
  const batches = options.batches ?? 10;
  const size = Math.min(options.batchSize ?? 10_000, reference.n, generated.n);
  if (size < 2) throw new InvalidArgumentError('kpd: need at least 2 showers per sample');
  const seed = options.seed ?? 42;
  const perBatch: number[] = [];
  for (let i = 0; i < batches; i++) {
    const rng = new Rng(seed + 1000 * i);
    const xi = new Uint32Array(size);
    const yi = new Uint32Array(size);
    for (let k = 0; k < size; k++) xi[k] = rng.int(reference.n);
    for (let k = 0; k < size; k++) yi[k] = rng.int(generated.n);
    perBatch.push(mmdPolyUnbiased(reference.data, xi, generated.data, yi, d, options.method));
  }
  const value = percentile(perBatch, 50);
  const error = (percentile(perBatch, 83.725) - percentile(perBatch, 16.275)) / 2;
  return { value, error, perBatch, batchSize: size };
}
