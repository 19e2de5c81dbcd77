/** Two-sample tests for flow samples against samples of the true density. */
import { Rng } from '@calozoo/core';

/**
 * Energy-distance permutation test (Székely & Rizzo 2004): returns the statistic and the
 * permutation p-value for H0 "a and b come from the same distribution".
 */
export function energyTest(a: Float32Array, b: Float32Array, dim: number, permutations = 200, seed = 5): { statistic: number; p: number } {
  const n = a.length / dim;
  const m = b.length / dim;
  const N = n + m;
  const z = new Float64Array(N * dim);
  z.set(a);
  z.set(b, n * dim);
  const d = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = i + 1; j < N; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += (z[i * dim + k] - z[j * dim + k]) ** 2;
      d[i * N + j] = d[j * N + i] = Math.sqrt(s);
    }
  }
  const label = new Uint8Array(N);
  const stat = () => {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < N; j++) {
        const v = d[i * N + j];
        if (label[i] !== label[j]) xy += v;
        else if (label[i] === 0) xx += v;
        else yy += v;
      }
    }
    return (2 * xy) / (2 * n * m) - xx / (n * n) - yy / (m * m);
  };
  for (let i = n; i < N; i++) label[i] = 1;
  const observed = stat();
  const rng = new Rng(seed);
  let atLeast = 0;
  for (let p = 0; p < permutations; p++) {
    const perm = rng.permutation(N);
    label.fill(0);
    for (let i = n; i < N; i++) label[perm[i]] = 1;
    if (stat() >= observed) atLeast++;
  }
  return { statistic: observed, p: (atLeast + 1) / (permutations + 1) };
}

/** Largest two-sample Kolmogorov–Smirnov statistic over the dimensions. */
export function maxKs(a: Float32Array, b: Float32Array, dim: number): number {
  let worst = 0;
  for (let k = 0; k < dim; k++) {
    const x = Float64Array.from({ length: a.length / dim }, (_, i) => a[i * dim + k]).sort();
    const y = Float64Array.from({ length: b.length / dim }, (_, i) => b[i * dim + k]).sort();
    let i = 0;
    let j = 0;
    let dmax = 0;
    while (i < x.length && j < y.length) {
      const v = Math.min(x[i], y[j]);
      while (i < x.length && x[i] <= v) i++;
      while (j < y.length && y[j] <= v) j++;
      dmax = Math.max(dmax, Math.abs(i / x.length - j / y.length));
    }
    worst = Math.max(worst, dmax);
  }
  return worst;
}

/** KS critical value at overall level alpha with a Bonferroni correction over `dim` tests. */
export function ksCritical(n: number, m: number, dim: number, alpha = 0.01): number {
  return Math.sqrt(-0.5 * Math.log(alpha / (2 * dim))) * Math.sqrt((n + m) / (n * m));
}
