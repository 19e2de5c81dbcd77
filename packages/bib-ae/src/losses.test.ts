/**
 * The loss terms against independent calculations in plain JavaScript loops: KLD, the latent MMD
 * (V-statistic with two kernels), the sorted-kernel MMD (sorting, windows and kernel means by
 * hand), the gradient penalty of a linear critic (whose gradient norm is known in closed form),
 * and the critic loss.
 */
import { describe, expect, it } from 'vitest';
import { Rng, gradientPenalty, tf, wassersteinCriticLoss as criticLoss } from '@calozoo/core';
import { kld, latentMmd, sortedKernelMmd, sortedRows, windowIndices } from './losses.js';

const rows = (a: Float32Array, n: number, d: number): number[][] => Array.from({ length: n }, (_, i) => Array.from(a.subarray(i * d, (i + 1) * d)));
const randn = (seed: number, n: number): Float32Array => new Rng(seed).fillNormal(new Float32Array(n)) as Float32Array;
const value = (t: tf.Tensor): number => t.dataSync()[0]!;

describe('kld', () => {
  it('is −½ Σ (1 + log σ² − μ² − σ²) / B, and 0 at the prior', () => {
    const mu = randn(1, 12);
    const lv = randn(2, 12);
    let ref = 0;
    for (let i = 0; i < 12; i++) ref += -0.5 * (1 + lv[i]! - mu[i]! ** 2 - Math.exp(lv[i]!));
    expect(value(kld(tf.tensor2d(mu, [3, 4]), tf.tensor2d(lv, [3, 4])))).toBeCloseTo(ref / 3, 4);
    expect(value(kld(tf.zeros([3, 4]), tf.zeros([3, 4])))).toBeCloseTo(0, 6);
  });
});

describe('latent MMD', () => {
  it('equals the V-statistic with the summed kernels, computed pairwise', () => {
    const n = 6;
    const d = 3;
    const a = randn(3, n * d);
    const b = randn(4, n * d).map((v) => v * 1.5 + 0.3);
    const alphas = [1, 0.01];
    const k = (x: number[], y: number[]): number => alphas.reduce((s, al) => s + Math.exp(-al * x.reduce((q, xi, j) => q + (xi - y[j]!) ** 2, 0)), 0);
    const A = rows(a, n, d);
    const B = rows(b, n, d);
    let aa = 0;
    let bb = 0;
    let ab = 0;
    for (const x of A) for (const y of A) aa += k(x, y);
    for (const x of B) for (const y of B) bb += k(x, y);
    for (const x of A) for (const y of B) ab += k(x, y);
    const ref = (aa + bb - 2 * ab) / (n * n);
    expect(value(latentMmd(tf.tensor2d(a, [n, d]), tf.tensor2d(b, [n, d]), alphas))).toBeCloseTo(ref, 4);
    expect(value(latentMmd(tf.tensor2d(a, [n, d]), tf.tensor2d(a, [n, d]), alphas))).toBeCloseTo(0, 5);
  });
});

describe('sorted-kernel MMD', () => {
  it('sorts each row in descending order', () => {
    const x = tf.tensor2d([3, 1, 2, 0, 5, 4, 9, 7], [2, 4]);
    expect(Array.from(sortedRows(x, 3).dataSync())).toEqual([3, 2, 1, 9, 7, 5]);
  });

  it('slides windows of the given size and stride over the first positions', () => {
    expect(windowIndices(3, 2, 7)).toEqual([[0, 1, 2], [2, 3, 4], [4, 5, 6]]);
  });

  it('equals the per-window kernel MMD of the sorted values, by hand', () => {
    const n = 2;
    const V = 10;
    const a = new Rng(5).fillUniform(new Float32Array(n * V)) as Float32Array;
    const b = new Rng(6).fillUniform(new Float32Array(n * V)).map((v) => v * v) as Float32Array;
    const o = { window: 4, stride: 2, positions: 8, alpha: 20 };
    let total = 0;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const sa = Array.from(a.subarray(i * V, (i + 1) * V)).sort((p, q) => q - p);
      const sb = Array.from(b.subarray(i * V, (i + 1) * V)).sort((p, q) => q - p);
      for (let s = 0; s + o.window <= o.positions; s += o.stride) {
        const wa = sa.slice(s, s + o.window);
        const wb = sb.slice(s, s + o.window);
        const km = (p: number[], q: number[]): number => p.reduce((acc, x) => acc + q.reduce((t, y) => t + Math.exp(-o.alpha * (x - y) ** 2), 0), 0) / (p.length * q.length);
        total += km(wa, wa) + km(wb, wb) - 2 * km(wa, wb);
        count++;
      }
    }
    expect(value(sortedKernelMmd(tf.tensor2d(a, [n, V]), tf.tensor2d(b, [n, V]), o))).toBeCloseTo(total / count, 5);
  });

  it('has a finite gradient that moves the showers towards each other', () => {
    const a = tf.variable(tf.tensor2d(new Rng(7).fillUniform(new Float32Array(20)) as Float32Array, [2, 10]));
    const b = tf.tensor2d(new Rng(8).fillUniform(new Float32Array(20)) as Float32Array, [2, 10]);
    const o = { window: 4, stride: 2, positions: 10, alpha: 5 };
    const before = value(sortedKernelMmd(a, b, o));
    const opt = tf.train.sgd(0.5);
    for (let i = 0; i < 20; i++) opt.minimize(() => sortedKernelMmd(a, b, o));
    expect(value(sortedKernelMmd(a, b, o))).toBeLessThan(0.5 * before);
  });
});

describe('gradient penalty', () => {
  it('is (‖w‖ − 1)² for a linear critic D(x, y) = x·u + y·v', () => {
    const u = Float32Array.of(0.3, -0.4, 0.5);
    const v = Float32Array.of(1.2, 0.1, -0.7);
    const critic = (x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor => tf.add(tf.matMul(x, tf.tensor2d(u, [3, 1])), tf.matMul(y, tf.tensor2d(v, [3, 1])));
    const r = tf.tensor2d(randn(9, 6), [2, 3]);
    const f = tf.tensor2d(randn(10, 6), [2, 3]);
    const norm = Math.sqrt([...u, ...v].reduce((s, w) => s + w * w, 0));
    const gp = gradientPenalty((x, y) => critic(x!, y!), [r, r], [r, f], tf.tensor2d([0.3, 0.8], [2, 1]));
    expect(value(gp)).toBeCloseTo((norm - 1) ** 2, 4);
  });

  it('enters the critic loss as mean D(fake) − mean D(real) + λ·gp', () => {
    const l = criticLoss(tf.tensor2d([1, 3], [2, 1]), tf.tensor2d([0, -2], [2, 1]), tf.scalar(0.5), 10);
    expect(value(l)).toBeCloseTo(-1 - 2 + 5, 6);
  });
});
