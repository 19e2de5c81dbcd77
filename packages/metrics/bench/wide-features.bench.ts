/**
 * FPD and KPD kernels at DS2/DS3's feature width (d = 362): the Fréchet distance through
 * `traceSqrtProduct` against the Jacobi square root it replaced, and KPD's tiled direct pair sum
 * against the plain double loop it replaced; interleaved rounds, medians, same inputs.
 * Run: npx vitest run --config bench/vitest.config.ts bench/wide-features.bench.ts
 */
import { it } from 'vitest';
import { Rng } from '@calozoo/core';
import { frechetDistance, jacobiEigen, matmul, meanCov, mmdPolyUnbiased, symmetricSqrt, type MeanCov } from '../src/index.js';

const D = 362;
const ROWS = Number(process.env.BENCH_ROWS ?? 2000);

/** Correlated toy features: a shared shower-level factor per 7 columns plus noise. */
function features(n: number, seed: number, shift: number): Float64Array {
  const rng = new Rng(seed);
  const x = new Float64Array(n * D);
  for (let r = 0; r < n; r++) {
    const c = rng.uniform();
    for (let j = 0; j < D; j++) x[r * D + j] = (j % 7 === 0 ? c : rng.uniform()) * (1 + j / D) + shift * (j % 3);
  }
  return x;
}

/** The Fréchet distance as calozoo computed it before: Jacobi sqrt(Σ_r), product, Jacobi eigenvalues. */
function frechetJacobi(a: MeanCov, b: MeanCov, d: number): number {
  let dm = 0;
  let tr = 0;
  for (let i = 0; i < d; i++) {
    dm += (a.mean[i] - b.mean[i]) ** 2;
    tr += a.cov[i * d + i] + b.cov[i * d + i];
  }
  const s = symmetricSqrt(a.cov, d);
  const m = matmul(matmul(s, b.cov, d), s, d);
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) m[i * d + j] = m[j * d + i] = 0.5 * (m[i * d + j] + m[j * d + i]);
  const { values } = jacobiEigen(m, d);
  let t = 0;
  for (let i = 0; i < d; i++) t += Math.sqrt(Math.max(0, values[i]));
  return dm + tr - 2 * t;
}

/** KPD's pair sums as a plain double loop (the code the tiled kernel replaced). */
function mmdLoop(x: Float64Array, y: Float64Array, n: number): number {
  const sum = (a: Float64Array, b: Float64Array, upper: boolean): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let k = upper ? i + 1 : 0; k < n; k++) {
        let dot = 0;
        for (let j = 0; j < D; j++) dot += a[i * D + j] * b[k * D + j];
        const v = dot / D + 1;
        total += v * v * v * v;
      }
    }
    return upper ? 2 * total : total;
  };
  return sum(x, x, true) / (n * (n - 1)) + sum(y, y, true) / (n * (n - 1)) - (2 * sum(x, y, false)) / (n * n);
}

const time = (fn: () => number): [number, number] => {
  const t = performance.now();
  const v = fn();
  return [(performance.now() - t) / 1000, v];
};
const median = (v: number[]): number => [...v].sort((p, q) => p - q)[Math.floor(v.length / 2)];

it(`Fréchet distance and KPD pair sums at d = ${D}`, () => {
  const x = features(ROWS, 1, 0);
  const y = features(ROWS, 2, 0.01);
  const a = meanCov(x, D);
  const b = meanCov(y, D);
  const idx = Uint32Array.from({ length: ROWS }, (_, i) => i);
  const fd = { now: [] as number[], before: [] as number[] };
  const kp = { now: [] as number[], before: [] as number[] };
  let values: number[] = [];
  for (let round = 0; round < 3; round++) {
    const [t1, v1] = time(() => frechetDistance(a, b, D));
    const [t0, v0] = time(() => frechetJacobi(a, b, D));
    const [k1, m1] = time(() => mmdPolyUnbiased(x, idx, y, idx, D, 'direct'));
    const [k0, m0] = time(() => mmdLoop(x, y, ROWS));
    fd.now.push(t1);
    fd.before.push(t0);
    kp.now.push(k1);
    kp.before.push(k0);
    values = [v1, v0, m1, m0];
  }
  console.log(`[bench] Fréchet distance d=${D}: traceSqrtProduct ${median(fd.now).toFixed(3)} s, Jacobi ${median(fd.before).toFixed(3)} s (${(median(fd.before) / median(fd.now)).toFixed(1)}x); values ${values[0]} vs ${values[1]}`);
  console.log(`[bench] KPD direct MMD² ${ROWS}×${ROWS} rows, d=${D}, one thread: tiled ${median(kp.now).toFixed(2)} s, loop ${median(kp.before).toFixed(2)} s (${(median(kp.before) / median(kp.now)).toFixed(1)}x); values ${values[2]} vs ${values[3]}`);
});
