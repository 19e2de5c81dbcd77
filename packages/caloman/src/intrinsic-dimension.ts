/**
 * Levina–Bickel maximum-likelihood intrinsic-dimension estimator (Levina & Bickel 2004,
 * "Maximum likelihood estimation of intrinsic dimension", NIPS; MacKay & Ghahramani's 2005
 * correction), as CaloMan's `dimensions/mle.py` computes it to choose the latent size
 * (field-reference.md §4.9). Exact k-nearest neighbours in plain JavaScript, in query chunks.
 */
import { InvalidArgumentError } from '@calozoo/core';

/** Options of `intrinsicDimension`. */
export interface IntrinsicDimensionOptions {
  /** Neighbourhood sizes k (each ≥ 3); default [5, 10, 20]. */
  k?: readonly number[];
  /** Use 1/(k − 2) instead of 1/(k − 1): the asymptotically unbiased local estimate. */
  unbiased?: boolean;
  /** Query rows per chunk of the distance computation (default 256). */
  chunk?: number;
}

/** The estimate for one k. */
export interface IntrinsicDimensionEstimate {
  /** Neighbourhood size. */
  k: number;
  /** Levina–Bickel: mean of the local estimates m_i(k). */
  levinaBickel: number;
  /** MacKay–Ghahramani: inverse of the mean of 1/m_i(k). */
  mackayGhahramani: number;
  /** Points used (those whose k neighbours are all at distance > 0). */
  points: number;
}

/** k nearest squared distances (self excluded) of every point, ascending: [n, kMax]. */
export function nearestSquaredDistances(points: ArrayLike<number>, n: number, dim: number, kMax: number, chunk = 256): Float64Array {
  const x = Float64Array.from(points as ArrayLike<number>);
  const norms = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[i * dim + j] * x[i * dim + j];
    norms[i] = s;
  }
  const out = new Float64Array(n * kMax).fill(Infinity);
  const block = new Float64Array(chunk * n);
  for (let q0 = 0; q0 < n; q0 += chunk) {
    const q1 = Math.min(n, q0 + chunk);
    // Dot products of the chunk against all points: block[(i − q0)·n + p].
    for (let i = q0; i < q1; i++) {
      const oi = i * dim;
      const bi = (i - q0) * n;
      for (let p = 0; p < n; p++) {
        const op = p * dim;
        let s = 0;
        for (let j = 0; j < dim; j++) s += x[oi + j] * x[op + j];
        block[bi + p] = s;
      }
    }
    for (let i = q0; i < q1; i++) {
      const bi = (i - q0) * n;
      const best = out.subarray(i * kMax, (i + 1) * kMax);
      for (let p = 0; p < n; p++) {
        if (p === i) continue;
        const d = Math.max(0, norms[i] + norms[p] - 2 * block[bi + p]);
        if (d >= best[kMax - 1]) continue;
        let j = kMax - 1;
        while (j > 0 && best[j - 1] > d) {
          best[j] = best[j - 1];
          j--;
        }
        best[j] = d;
      }
    }
  }
  return out;
}

/**
 * Estimates the intrinsic dimension of `n` points of dimension `dim` (row-major) for each k.
 * m_i(k) = [(1/(k−1)) Σ_{j<k} ln(T_k/T_j)]⁻¹ with T_j the distance to the j-th neighbour.
 * @throws InvalidArgumentError for a bad shape, k < 3 or k ≥ n
 */
export function intrinsicDimension(points: ArrayLike<number>, n: number, dim: number, options: IntrinsicDimensionOptions = {}): IntrinsicDimensionEstimate[] {
  const ks = [...(options.k ?? [5, 10, 20])];
  if (points.length !== n * dim) throw new InvalidArgumentError(`intrinsicDimension: points has ${points.length} values, expected n·dim = ${n}·${dim}`);
  for (const k of ks) {
    if (!Number.isInteger(k) || k < 3 || k >= n) throw new InvalidArgumentError(`intrinsicDimension: every k must be an integer in [3, n − 1] = [3, ${n - 1}], got ${k}`);
  }
  const kMax = Math.max(...ks);
  const d2 = nearestSquaredDistances(points, n, dim, kMax, options.chunk ?? 256);
  return ks.map((k) => {
    const denom = options.unbiased ? k - 2 : k - 1;
    let sumM = 0;
    let sumInv = 0;
    let used = 0;
    for (let i = 0; i < n; i++) {
      const row = i * kMax;
      if (!(d2[row] > 0)) continue;
      const lk = 0.5 * Math.log(d2[row + k - 1]);
      let s = 0;
      for (let j = 0; j < k - 1; j++) s += lk - 0.5 * Math.log(d2[row + j]);
      if (!(s > 0)) continue;
      const inv = s / denom;
      sumM += 1 / inv;
      sumInv += inv;
      used++;
    }
    return { k, levinaBickel: used ? sumM / used : NaN, mackayGhahramani: used ? used / sumInv : NaN, points: used };
  });
}
