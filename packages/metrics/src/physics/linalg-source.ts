/**
 * The Fréchet distance's linear algebra written once as plain JavaScript source, like the kernels
 * of `kernels.ts`, so that the main thread and the worker threads of `pool.ts` run the same code
 * (FPD's batches are computed in the workers, the result does not depend on the thread count).
 *
 * - `meanCovFromSums(sums, d, m)`: mean and unbiased covariance from `secondMoments`' output.
 * - `pivotedCholesky(a, d)`: L (d×r) with a ≈ L·Lᵀ, r the numerical rank (LAPACK dpstrf's tolerance).
 * - `symmetricEigenvalues(a, n)`: Householder tridiagonalisation, then implicit QL with Wilkinson
 *   shifts (Golub & Van Loan §8.3); the reduction reads only the lower triangle, row by row.
 * - `traceSqrtProduct(a, b, d)`: Tr sqrt(A^½ B A^½) as Σ sqrt(λ(Lᵀ B L)), A = L·Lᵀ; the two
 *   products run four rows at a time.
 * - `frechetDistance(a, b, d)`: ||μ_a − μ_b||² + Tr(Σ_a + Σ_b) − 2 Tr sqrt(Σ_a^½ Σ_b Σ_a^½).
 * - `frechetOfRows(x, y, d, xi, yi)`: that distance between the Gaussians of rows xi of x and rows
 *   yi of y (as many each), through `secondMoments` of `kernels.ts` (the two sources run together).
 */
export const LINALG_SOURCE = String.raw`
function meanCovFromSums(sums, d, m) {
  const mean = new Float64Array(d);
  const mu = new Float64Array(d);
  for (let j = 0; j < d; j++) {
    mu[j] = sums[d + j] / m;
    mean[j] = mu[j] + sums[j];
  }
  const cov = new Float64Array(d * d);
  let o = 2 * d;
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      const v = (sums[o++] - m * mu[i] * mu[j]) / (m - 1);
      cov[i * d + j] = v;
      cov[j * d + i] = v;
    }
  }
  return { mean, cov };
}
function pivotedCholesky(a, d) {
  const diag = new Float64Array(d);
  let maxDiag = 0;
  for (let i = 0; i < d; i++) {
    diag[i] = a[i * d + i];
    if (diag[i] > maxDiag) maxDiag = diag[i];
  }
  const tol = d * Number.EPSILON * maxDiag;
  const perm = new Uint32Array(d);
  for (let i = 0; i < d; i++) perm[i] = i;
  const l = new Float64Array(d * d);
  let k = 0;
  for (; k < d; k++) {
    let best = k;
    for (let j = k + 1; j < d; j++) if (diag[perm[j]] > diag[perm[best]]) best = j;
    const p = perm[best];
    if (!(diag[p] > tol)) break;
    perm[best] = perm[k];
    perm[k] = p;
    const piv = Math.sqrt(diag[p]);
    const lp = p * d;
    l[lp + k] = piv;
    for (let j = k + 1; j < d; j++) {
      const i = perm[j];
      const li = i * d;
      let s = a[li + p];
      for (let m = 0; m < k; m++) s -= l[li + m] * l[lp + m];
      const v = s / piv;
      l[li + k] = v;
      diag[i] -= v * v;
    }
  }
  const rank = k;
  const out = new Float64Array(d * rank);
  for (let i = 0; i < d; i++) for (let m = 0; m < rank; m++) out[i * rank + m] = l[i * d + m];
  return { l: out, rank };
}
function symmetricEigenvalues(a, n) {
  const A = Float64Array.from(a);
  const dg = new Float64Array(n);
  const e = new Float64Array(n);
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k + 2 < n; k++) {
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += A[i * n + k] * A[i * n + k];
    const x0 = A[(k + 1) * n + k];
    const alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    dg[k] = A[k * n + k];
    e[k] = alpha;
    const vv = norm2 - x0 * alpha;
    if (norm2 === 0 || vv === 0) {
      e[k] = x0;
      continue;
    }
    for (let i = k + 1; i < n; i++) v[i] = A[i * n + k];
    v[k + 1] = x0 - alpha;
    for (let i = k + 1; i < n; i++) p[i] = 0;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = v[i];
      let s = A[ri + i] * vi;
      for (let j = k + 1; j < i; j++) {
        const aij = A[ri + j];
        s += aij * v[j];
        p[j] += aij * vi;
      }
      p[i] += s;
    }
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      p[i] /= vv;
      vp += v[i] * p[i];
    }
    const h = vp / (2 * vv);
    for (let i = k + 1; i < n; i++) p[i] -= h * v[i];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = v[i];
      const wi = p[i];
      for (let j = k + 1; j <= i; j++) A[ri + j] -= vi * p[j] + wi * v[j];
    }
  }
  if (n >= 2) {
    dg[n - 2] = A[(n - 2) * n + (n - 2)];
    e[n - 2] = A[(n - 1) * n + (n - 2)];
  }
  if (n >= 1) dg[n - 1] = A[(n - 1) * n + (n - 1)];
  tridiagonalQl(dg, e, n);
  return dg;
}
function tridiagonalQl(dg, e, n) {
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(dg[m]) + Math.abs(dg[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (iter === 100) throw new Error('symmetricEigenvalues: QL iteration did not converge');
      let g = (dg[l + 1] - dg[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = dg[m] - dg[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let pp = 0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          dg[i + 1] -= pp;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = dg[i + 1] - pp;
        r = (dg[i] - g) * s + 2 * c * b;
        pp = s * r;
        dg[i + 1] = g + pp;
        g = c * r - b;
      }
      if (underflow) continue;
      dg[l] -= pp;
      e[l] = g;
      e[m] = 0;
    }
  }
}
function traceSqrtProduct(a, b, d) {
  const f = pivotedCholesky(a, d);
  const l = f.l, r = f.rank;
  if (r === 0) return 0;
  const c = new Float64Array(d * r);
  let i = 0;
  for (; i + 3 < d; i += 4) {
    const b0 = i * d, b1 = b0 + d, b2 = b1 + d, b3 = b2 + d;
    const c0 = i * r, c1 = c0 + r, c2 = c1 + r, c3 = c2 + r;
    for (let k = 0; k < d; k++) {
      const x0 = b[b0 + k], x1 = b[b1 + k], x2 = b[b2 + k], x3 = b[b3 + k];
      const lk = k * r;
      for (let j = 0; j < r; j++) {
        const v = l[lk + j];
        c[c0 + j] += x0 * v;
        c[c1 + j] += x1 * v;
        c[c2 + j] += x2 * v;
        c[c3 + j] += x3 * v;
      }
    }
  }
  for (; i < d; i++) {
    const ci = i * r;
    for (let k = 0; k < d; k++) {
      const bik = b[i * d + k];
      const lk = k * r;
      for (let j = 0; j < r; j++) c[ci + j] += bik * l[lk + j];
    }
  }
  const m = new Float64Array(r * r);
  let k = 0;
  for (; k + 3 < d; k += 4) {
    const l0 = k * r, l1 = l0 + r, l2 = l1 + r, l3 = l2 + r;
    for (let i2 = 0; i2 < r; i2++) {
      const u0 = l[l0 + i2], u1 = l[l1 + i2], u2 = l[l2 + i2], u3 = l[l3 + i2];
      const mi = i2 * r;
      for (let j = 0; j <= i2; j++) m[mi + j] += u0 * c[l0 + j] + u1 * c[l1 + j] + u2 * c[l2 + j] + u3 * c[l3 + j];
    }
  }
  for (; k < d; k++) {
    const lk = k * r;
    for (let i2 = 0; i2 < r; i2++) {
      const u = l[lk + i2];
      const mi = i2 * r;
      for (let j = 0; j <= i2; j++) m[mi + j] += u * c[lk + j];
    }
  }
  for (let i2 = 0; i2 < r; i2++) for (let j = 0; j < i2; j++) m[j * r + i2] = m[i2 * r + j];
  const values = symmetricEigenvalues(m, r);
  let t = 0;
  for (let q = 0; q < r; q++) t += Math.sqrt(Math.max(0, values[q]));
  return t;
}
function frechetDistance(a, b, d) {
  let dm = 0;
  for (let i = 0; i < d; i++) dm += (a.mean[i] - b.mean[i]) ** 2;
  let tr = 0;
  for (let i = 0; i < d; i++) tr += a.cov[i * d + i] + b.cov[i * d + i];
  return dm + tr - 2 * traceSqrtProduct(a.cov, b.cov, d);
}
function frechetOfRows(x, y, d, xi, yi) {
  const size = 2 * d + (d * (d + 1)) / 2;
  const sx = new Float64Array(size), sy = new Float64Array(size);
  secondMoments(x, d, xi, sx);
  secondMoments(y, d, yi, sy);
  return frechetDistance(meanCovFromSums(sx, d, xi.length), meanCovFromSums(sy, d, yi.length), d);
}
`;
