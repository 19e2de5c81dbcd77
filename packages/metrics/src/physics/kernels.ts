/**
 * The hot numeric kernels of FPD and KPD, written once as plain JavaScript source so that the
 * main thread (through `new Function`) and worker threads (through `eval` workers) run the very
 * same code: results do not depend on the number of threads.
 *
 * - `secondMoments(x, d, idx, out)`: for the rows `idx` of the row-major matrix x, writes
 *   [shift (d) | Σ(x − shift) (d) | upper triangle of Σ(x − shift)(x − shift)ᵀ], shift = first row.
 * - `momentSums(x, d, idx, out)`: writes the symmetric moment tensors Σ x^{⊗j}, j = 1…4, over
 *   sorted index tuples (lengths C(d,1), C(d+1,2), C(d+2,3), C(d+3,4)).
 * Both process eight rows per pass (rows interleaved in a small buffer).
 * - `polyPairSum(x, xi, lo, hi, y, yi, d, upper)`: Σ over a in [lo, hi) and b of
 *   (x_{xi[a]}·y_{yi[b]}/d + 1)⁴, b over all of yi or, with `upper`, b > a only (x = y): KPD's
 *   direct pair sum, in 4×4 tiles of rows gathered into contiguous buffers.
 */
import { LINALG_SOURCE } from './linalg-source.js';

/** JavaScript source defining `secondMoments` and `momentSums`. */
export const KERNEL_SOURCE = String.raw`
function secondMoments(x, d, idx, out) {
  const m = idx.length;
  const shift = out.subarray(0, d);
  const s1 = out.subarray(d, 2 * d);
  const tri = out.subarray(2 * d);
  const o0 = idx[0] * d;
  for (let j = 0; j < d; j++) shift[j] = x[o0 + j];
  const T = new Float64Array(8 * d);
  let r = 0;
  for (; r + 7 < m; r += 8) {
    for (let q = 0; q < 8; q++) {
      const o = idx[r + q] * d;
      for (let j = 0; j < d; j++) {
        const v = x[o + j] - shift[j];
        T[j * 8 + q] = v;
        s1[j] += v;
      }
    }
    let o = 0;
    for (let i = 0; i < d; i++) {
      const i8 = i * 8;
      const p0 = T[i8], p1 = T[i8 + 1], p2 = T[i8 + 2], p3 = T[i8 + 3], p4 = T[i8 + 4], p5 = T[i8 + 5], p6 = T[i8 + 6], p7 = T[i8 + 7];
      for (let j = i; j < d; j++) {
        const q = j * 8;
        tri[o++] += p0 * T[q] + p1 * T[q + 1] + p2 * T[q + 2] + p3 * T[q + 3] + p4 * T[q + 4] + p5 * T[q + 5] + p6 * T[q + 6] + p7 * T[q + 7];
      }
    }
  }
  const a = new Float64Array(d);
  for (; r < m; r++) {
    const oa = idx[r] * d;
    for (let j = 0; j < d; j++) { a[j] = x[oa + j] - shift[j]; s1[j] += a[j]; }
    let o = 0;
    for (let i = 0; i < d; i++) { const ai = a[i]; for (let j = i; j < d; j++) tri[o++] += ai * a[j]; }
  }
}
function momentSums(x, d, idx, out) {
  const n1 = d, n2 = d * (d + 1) / 2, n3 = d * (d + 1) * (d + 2) / 6;
  const m1 = out.subarray(0, n1), m2 = out.subarray(n1, n1 + n2), m3 = out.subarray(n1 + n2, n1 + n2 + n3), m4 = out.subarray(n1 + n2 + n3);
  const T = new Float64Array(8 * d);
  let r = 0;
  for (; r + 7 < idx.length; r += 8) {
    for (let q = 0; q < 8; q++) {
      const o = idx[r + q] * d;
      for (let j = 0; j < d; j++) T[j * 8 + q] = x[o + j];
    }
    let o2 = 0, o3 = 0, o4 = 0;
    for (let i = 0; i < d; i++) {
      const i8 = i * 8;
      m1[i] += T[i8] + T[i8 + 1] + T[i8 + 2] + T[i8 + 3] + T[i8 + 4] + T[i8 + 5] + T[i8 + 6] + T[i8 + 7];
      for (let j = i; j < d; j++) {
        const j8 = j * 8;
        const q0 = T[i8] * T[j8], q1 = T[i8 + 1] * T[j8 + 1], q2 = T[i8 + 2] * T[j8 + 2], q3 = T[i8 + 3] * T[j8 + 3];
        const q4 = T[i8 + 4] * T[j8 + 4], q5 = T[i8 + 5] * T[j8 + 5], q6 = T[i8 + 6] * T[j8 + 6], q7 = T[i8 + 7] * T[j8 + 7];
        m2[o2++] += q0 + q1 + q2 + q3 + q4 + q5 + q6 + q7;
        for (let k = j; k < d; k++) {
          const k8 = k * 8;
          const p0 = q0 * T[k8], p1 = q1 * T[k8 + 1], p2 = q2 * T[k8 + 2], p3 = q3 * T[k8 + 3];
          const p4 = q4 * T[k8 + 4], p5 = q5 * T[k8 + 5], p6 = q6 * T[k8 + 6], p7 = q7 * T[k8 + 7];
          m3[o3++] += p0 + p1 + p2 + p3 + p4 + p5 + p6 + p7;
          for (let l = k; l < d; l++) {
            const t = l * 8;
            m4[o4++] += p0 * T[t] + p1 * T[t + 1] + p2 * T[t + 2] + p3 * T[t + 3] + p4 * T[t + 4] + p5 * T[t + 5] + p6 * T[t + 6] + p7 * T[t + 7];
          }
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
function gatherRows(x, d, idx, lo, hi) {
  const n = hi - lo, n4 = (n + 3) & ~3;
  const g = new Float64Array(n4 * d);
  for (let r = 0; r < n; r++) {
    const o = idx[lo + r] * d, t = r * d;
    for (let j = 0; j < d; j++) g[t + j] = x[o + j];
  }
  return g;
}
function polyPairSum(x, xi, lo, hi, y, yi, d, upper) {
  const b0 = upper ? lo : 0, nb = yi.length;
  const A = gatherRows(x, d, xi, lo, hi), B = gatherRows(y, d, yi, b0, nb);
  const na4 = A.length / d, nb4 = B.length / d;
  const dots = new Float64Array(16);
  let total = 0;
  for (let ta = 0; ta < na4; ta += 4) {
    const a0 = ta * d, a1 = a0 + d, a2 = a1 + d, a3 = a2 + d;
    for (let tb = upper ? ta : 0; tb < nb4; tb += 4) {
      const c0 = tb * d, c1 = c0 + d, c2 = c1 + d, c3 = c2 + d;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0;
      let s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
      for (let j = 0; j < d; j++) {
        const u0 = A[a0 + j], u1 = A[a1 + j], u2 = A[a2 + j], u3 = A[a3 + j];
        const v0 = B[c0 + j], v1 = B[c1 + j], v2 = B[c2 + j], v3 = B[c3 + j];
        s00 += u0 * v0; s01 += u0 * v1; s02 += u0 * v2; s03 += u0 * v3;
        s10 += u1 * v0; s11 += u1 * v1; s12 += u1 * v2; s13 += u1 * v3;
        s20 += u2 * v0; s21 += u2 * v1; s22 += u2 * v2; s23 += u2 * v3;
        s30 += u3 * v0; s31 += u3 * v1; s32 += u3 * v2; s33 += u3 * v3;
      }
      dots[0] = s00; dots[1] = s01; dots[2] = s02; dots[3] = s03; dots[4] = s10; dots[5] = s11; dots[6] = s12; dots[7] = s13;
      dots[8] = s20; dots[9] = s21; dots[10] = s22; dots[11] = s23; dots[12] = s30; dots[13] = s31; dots[14] = s32; dots[15] = s33;
      for (let p = 0; p < 4; p++) {
        const a = lo + ta + p;
        if (a >= hi) break;
        for (let q = 0; q < 4; q++) {
          const b = b0 + tb + q;
          if (b >= nb) break;
          if (upper && b <= a) continue;
          const k = dots[p * 4 + q] / d + 1, k2 = k * k;
          total += k2 * k2;
        }
      }
    }
  }
  return total;
}
`;

/** Signature of both kernels: accumulate rows `idx` of x (row-major, d columns) into `out`. */
export type Kernel = (x: Float64Array, d: number, idx: Uint32Array, out: Float64Array) => void;

/** Names of the kernels. */
export type KernelName = 'secondMoments' | 'momentSums';

const lib = new Function(`${KERNEL_SOURCE}\n${LINALG_SOURCE}\nreturn { secondMoments, momentSums, polyPairSum, meanCovFromSums, pivotedCholesky, symmetricEigenvalues, traceSqrtProduct, frechetDistance, frechetOfRows };`)() as Record<KernelName, Kernel> & {
  polyPairSum: PairKernel;
} & LinalgLib;

/** The functions of `LINALG_SOURCE`, typed (documented where `linalg.ts` re-exports them). */
export interface LinalgLib {
  meanCovFromSums(sums: Float64Array, d: number, m: number): { mean: Float64Array; cov: Float64Array };
  pivotedCholesky(a: Float64Array, d: number): { l: Float64Array; rank: number };
  symmetricEigenvalues(a: Float64Array, n: number): Float64Array;
  traceSqrtProduct(a: Float64Array, b: Float64Array, d: number): number;
  frechetDistance(a: { mean: Float64Array; cov: Float64Array }, b: { mean: Float64Array; cov: Float64Array }, d: number): number;
  frechetOfRows(x: Float64Array, y: Float64Array, d: number, xi: Uint32Array, yi: Uint32Array): number;
}

/** Main-thread instances of the linear algebra of `LINALG_SOURCE`. */
export const LINALG: Readonly<LinalgLib> = lib;

/** Main-thread instances of the kernels. */
export const KERNELS: Readonly<Record<KernelName, Kernel>> = lib;

/** Signature of `polyPairSum` (see the module comment). */
export type PairKernel = (x: Float64Array, xi: Uint32Array, lo: number, hi: number, y: Float64Array, yi: Uint32Array, d: number, upper: boolean) => number;

/** Main-thread instance of `polyPairSum`. */
export const POLY_PAIR_SUM: PairKernel = lib.polyPairSum;

/** Output length of a kernel for d columns. */
export function kernelOutputLength(name: KernelName, d: number): number {
  if (name === 'secondMoments') return 2 * d + (d * (d + 1)) / 2;
  return d + (d * (d + 1)) / 2 + (d * (d + 1) * (d + 2)) / 6 + (d * (d + 1) * (d + 2) * (d + 3)) / 24;
}
