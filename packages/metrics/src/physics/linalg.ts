/**
 * Small dense float64 linear algebra for the Fréchet distance: sample mean and unbiased
 * covariance of selected rows, the cyclic Jacobi eigen-decomposition of symmetric matrices
 * (Golub & Van Loan, Matrix Computations, §8.5), and Tr sqrt(A^½ B A^½) by a pivoted Cholesky
 * factor of A and the eigenvalues of a symmetric tridiagonal matrix (Householder reduction and
 * implicit QL, Golub & Van Loan §8.3), about 20x faster than Jacobi at d = 362 (DS2's features).
 * The Fréchet functions are typed bindings of `LINALG_SOURCE` (linalg-source.ts), the code the
 * worker threads of FPD run too.
 */
import { KERNELS, LINALG, kernelOutputLength } from './kernels.js';

/** Eigenvalues and eigenvectors (columns of `vectors`, row-major d×d) of a symmetric matrix. */
export interface SymmetricEigen {
  /** Eigenvalues (unsorted). */
  values: Float64Array;
  /** Eigenvectors as columns of a row-major d×d matrix. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition of the symmetric row-major d×d matrix `a` by cyclic Jacobi rotations
 * (threshold strategy, converges quadratically; `a` is not modified).
 */
export function jacobiEigen(a: Float64Array, d: number, maxSweeps = 60): SymmetricEigen {
  const A = Float64Array.from(a);
  const V = new Float64Array(d * d);
  for (let i = 0; i < d; i++) V[i * d + i] = 1;
  let scale = 0;
  for (let i = 0; i < d * d; i++) scale += A[i] * A[i];
  const tiny = 1e-30 * scale;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += A[p * d + q] * A[p * d + q];
    if (off <= 1e-32 * scale || off <= tiny) break;
    const thresh = sweep < 3 ? (0.2 * Math.sqrt(off)) / (d * d) : 0;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = A[p * d + q];
        if (Math.abs(apq) <= thresh || apq === 0) continue;
        const app = A[p * d + p];
        const aqq = A[q * d + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = A[k * d + p];
          const akq = A[k * d + q];
          A[k * d + p] = c * akp - s * akq;
          A[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = A[p * d + k];
          const aqk = A[q * d + k];
          A[p * d + k] = c * apk - s * aqk;
          A[q * d + k] = s * apk + c * aqk;
        }
        A[p * d + q] = 0;
        A[q * d + p] = 0;
        for (let k = 0; k < d; k++) {
          const vkp = V[k * d + p];
          const vkq = V[k * d + q];
          V[k * d + p] = c * vkp - s * vkq;
          V[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = A[i * d + i];
  return { values, vectors: V };
}

/** Symmetric positive semi-definite square root V·diag(sqrt(max(λ,0)))·Vᵀ. */
export function symmetricSqrt(a: Float64Array, d: number): Float64Array {
  const { values, vectors: V } = jacobiEigen(a, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(0, values[k]));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vik = V[i * d + k] * s;
      if (vik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += vik * V[j * d + k];
    }
  }
  return out;
}

/** Row-major product of d×d matrices. */
export function matmul(a: Float64Array, b: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = a[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += aik * b[k * d + j];
    }
  }
  return out;
}

/** Mean and unbiased covariance (ddof 1, as `np.cov`) of a sample. */
export interface MeanCov {
  /** Mean vector (length d). */
  mean: Float64Array;
  /** Covariance, row-major d×d. */
  cov: Float64Array;
}

/**
 * Mean and unbiased covariance from the output of the `secondMoments` kernel
 * ([shift | Σ(x − shift) | upper triangle of Σ(x − shift)(x − shift)ᵀ]) over m rows.
 */
const meanCovFromSums: (sums: Float64Array, d: number, m: number) => MeanCov = LINALG.meanCovFromSums;

/**
 * Mean and unbiased covariance of the rows `idx` (duplicates allowed) of the row-major n×d matrix
 * `x`, or of all rows when `idx` is omitted. Rows are shifted by the first selected row before
 * the raw second moments are summed, which keeps the cancellation harmless.
 */
export function meanCov(x: Float64Array, d: number, idx?: Uint32Array): MeanCov {
  const rows = idx ?? Uint32Array.from({ length: x.length / d }, (_, i) => i);
  const out = new Float64Array(kernelOutputLength('secondMoments', d));
  KERNELS.secondMoments(x, d, rows, out);
  return meanCovFromSums(out, d, rows.length);
}

/**
 * Pivoted Cholesky factor of the symmetric positive semi-definite row-major d×d matrix `a`:
 * returns L (row-major d×r, rows in the original order) with a ≈ L·Lᵀ, stopping when the largest
 * remaining pivot is ≤ d·ε·max(diag a) (LAPACK dpstrf's default tolerance); r is the numerical rank.
 */
export const pivotedCholesky: (a: Float64Array, d: number) => { l: Float64Array; rank: number } = LINALG.pivotedCholesky;

/**
 * Eigenvalues of the symmetric row-major n×n matrix `a` (not modified), without eigenvectors:
 * Householder reduction to tridiagonal form, then implicit QL with Wilkinson shifts.
 */
export const symmetricEigenvalues: (a: Float64Array, n: number) => Float64Array = LINALG.symmetricEigenvalues;

/**
 * Tr sqrt(A^½ B A^½) for symmetric positive semi-definite row-major d×d matrices A and B: with
 * A = L·Lᵀ (pivoted Cholesky), A^½ B A^½ and Lᵀ B L share their non-zero eigenvalues.
 */
export const traceSqrtProduct: (a: Float64Array, b: Float64Array, d: number) => number = LINALG.traceSqrtProduct;

/**
 * Fréchet distance ||μ_r − μ_g||² + Tr(Σ_r + Σ_g) − 2 Tr sqrt(Σ_r^½ Σ_g Σ_r^½) between two
 * Gaussians; the trace of the matrix square root from a pivoted Cholesky factor of Σ_r and the
 * eigenvalues of a symmetric matrix (`traceSqrtProduct`).
 */
export const frechetDistance: (a: MeanCov, b: MeanCov, d: number) => number = LINALG.frechetDistance;
