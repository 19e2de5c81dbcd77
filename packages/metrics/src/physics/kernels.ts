/**
 * The two hot numeric kernels of FPD and KPD, written once as plain JavaScript source so that the
 * main thread (through `new Function`) and worker threads (through `eval` workers) run the very
 * same code: results do not depend on the number of threads.
 *
 * - `secondMoments(x, d, idx, out)`: for the rows `idx` of the row-major matrix x, writes
 *   [shift (d) | Σ(x − shift) (d) | upper triangle of Σ(x − shift)(x − shift)ᵀ], shift = first row.
 * - `momentSums(x, d, idx, out)`: writes the symmetric moment tensors Σ x^{⊗j}, j = 1…4, over
 *   sorted index tuples (lengths C(d,1), C(d+1,2), C(d+2,3), C(d+3,4)).
 * Both process four rows per pass.
 */

/** JavaScript source defining `secondMoments` and `momentSums`. */
export const KERNEL_SOURCE = String.raw`
function secondMoments(x, d, idx, out) {
  const m = idx.length;
  const shift = out.subarray(0, d);
  const s1 = out.subarray(d, 2 * d);
  const tri = out.subarray(2 * d);
  const o0 = idx[0] * d;
  for (let j = 0; j < d; j++) shift[j] = x[o0 + j];
  const a = new Float64Array(d), b = new Float64Array(d), c = new Float64Array(d), e = new Float64Array(d);
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const oa = idx[r] * d, ob = idx[r + 1] * d, oc = idx[r + 2] * d, oe = idx[r + 3] * d;
    for (let j = 0; j < d; j++) {
      const s = shift[j];
      a[j] = x[oa + j] - s; b[j] = x[ob + j] - s; c[j] = x[oc + j] - s; e[j] = x[oe + j] - s;
      s1[j] += a[j] + b[j] + c[j] + e[j];
    }
    let o = 0;
    for (let i = 0; i < d; i++) {
      const ai = a[i], bi = b[i], ci = c[i], ei = e[i];
      for (let j = i; j < d; j++) tri[o++] += ai * a[j] + bi * b[j] + ci * c[j] + ei * e[j];
    }
  }
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
  let r = 0;
  for (; r + 3 < idx.length; r += 4) {
    const a = x.subarray(idx[r] * d, idx[r] * d + d), b = x.subarray(idx[r + 1] * d, idx[r + 1] * d + d);
    const c = x.subarray(idx[r + 2] * d, idx[r + 2] * d + d), e = x.subarray(idx[r + 3] * d, idx[r + 3] * d + d);
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
`;

/** Signature of both kernels: accumulate rows `idx` of x (row-major, d columns) into `out`. */
export type Kernel = (x: Float64Array, d: number, idx: Uint32Array, out: Float64Array) => void;

/** Names of the kernels. */
export type KernelName = 'secondMoments' | 'momentSums';

const lib = new Function(`${KERNEL_SOURCE}\nreturn { secondMoments, momentSums };`)() as Record<KernelName, Kernel>;

/** Main-thread instances of the kernels. */
export const KERNELS: Readonly<Record<KernelName, Kernel>> = lib;

/** Output length of a kernel for d columns. */
export function kernelOutputLength(name: KernelName, d: number): number {
  if (name === 'secondMoments') return 2 * d + (d * (d + 1)) / 2;
  return d + (d * (d + 1)) / 2 + (d * (d + 1) * (d + 2)) / 6 + (d * (d + 1) * (d + 2) * (d + 3)) / 24;
}
