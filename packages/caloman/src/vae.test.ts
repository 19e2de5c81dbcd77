import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@calozoo/core';
import { ConditionalVae, perVoxelNll, zeroInflatedNll } from './vae.js';

describe('ConditionalVae', () => {
  const shape = { voxels: 6, conditionDim: 3, latentDim: 2, hidden: [8, 8] };

  it('computes the negative ELBO of a Gaussian decoder with one shared log σ', () => {
    const vae = new ConditionalVae(shape, new Rng(1));
    const rng = new Rng(2);
    const n = 5;
    const x = tf.tensor2d(Float32Array.from({ length: n * 6 }, () => rng.uniform()), [n, 6]);
    const y = tf.tensor2d(Float32Array.from({ length: n * 3 }, () => rng.normal()), [n, 3]);
    const eps = tf.tensor2d(Float32Array.from({ length: n * 2 }, () => rng.normal()), [n, 2]);
    const beta = 0.7;
    const { loss, reconstruction, kl } = vae.loss(x, y, eps, beta);
    // Independent calculation from the encoder and decoder outputs.
    const { mu, logSigma } = vae.encode(x, y);
    const m = mu.arraySync();
    const ls = logSigma.arraySync();
    const e = eps.arraySync();
    const z = tf.tensor2d(m.map((r, i) => r.map((v, j) => v + Math.exp(ls[i][j]) * e[i][j])));
    const mean = vae.decode(z, y).arraySync();
    const xs = x.arraySync();
    const s = vae.outputLogSigma();
    let rec = 0;
    let klSum = 0;
    for (let i = 0; i < n; i++) {
      for (let v = 0; v < 6; v++) rec += (xs[i][v] - mean[i][v]) ** 2 / (2 * Math.exp(2 * s)) + s + 0.5 * Math.log(2 * Math.PI);
      for (let j = 0; j < 2; j++) klSum += 0.5 * (m[i][j] ** 2 + Math.exp(2 * ls[i][j]) - 1 - 2 * ls[i][j]);
    }
    expect(reconstruction.dataSync()[0]).toBeCloseTo(rec / n, 3);
    expect(kl.dataSync()[0]).toBeCloseTo(klSum / n, 4);
    expect(loss.dataSync()[0]).toBeCloseTo(rec / n + (beta * klSum) / n, 3);
    vae.dispose();
  });

  it('per-voxel likelihood: the decoder predicts a clipped log σ per voxel and the loss is their Gaussian NLL', () => {
    const vae = new ConditionalVae({ ...shape, likelihood: 'per-voxel' }, new Rng(1));
    expect(vae.params.named()['decoder.out.kernel'].shape).toEqual([16, 12]);
    expect(Object.keys(vae.params.named())).not.toContain('decoder.logSigma');
    const rng = new Rng(3);
    const n = 4;
    const x = tf.tensor2d(Float32Array.from({ length: n * 6 }, () => rng.uniform()), [n, 6]);
    const y = tf.tensor2d(Float32Array.from({ length: n * 3 }, () => rng.normal()), [n, 3]);
    const eps = tf.tensor2d(Float32Array.from({ length: n * 2 }, () => rng.normal()), [n, 2]);
    const { reconstruction } = vae.loss(x, y, eps, 1);
    const { mu, logSigma } = vae.encode(x, y);
    const z = tf.add(mu, tf.mul(tf.exp(logSigma), eps)) as tf.Tensor2D;
    // Independent calculation from the raw decoder output [mean | log σ].
    const d = vae.decodeWithScale(z, y);
    const mean = d.mean.arraySync();
    const ls = d.logSigma.arraySync();
    const xs = x.arraySync();
    let rec = 0;
    for (let i = 0; i < n; i++) {
      for (let v = 0; v < 6; v++) {
        expect(ls[i][v]).toBeGreaterThanOrEqual(-6);
        expect(ls[i][v]).toBeLessThanOrEqual(1);
        rec += (xs[i][v] - mean[i][v]) ** 2 / (2 * Math.exp(2 * ls[i][v])) + ls[i][v] + 0.5 * Math.log(2 * Math.PI);
      }
    }
    expect(reconstruction.dataSync()[0]).toBeCloseTo(rec / n, 3);
    // Different voxels get different σ (not one shared value).
    expect(new Set(ls[0].map((v) => v.toFixed(4))).size).toBeGreaterThan(1);
    vae.dispose();
  });

  it('conditions encoder and decoder on y, and names its weights for safetensors', () => {
    const vae = new ConditionalVae(shape, new Rng(1));
    const z = tf.zeros([1, 2]) as tf.Tensor2D;
    const a = vae.decode(z, tf.tensor2d([[0, 0, 0]])).dataSync();
    const b = vae.decode(z, tf.tensor2d([[1, -1, 2]])).dataSync();
    expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])))).toBeGreaterThan(1e-4);
    const names = Object.keys(vae.params.named());
    expect(names).toContain('encoder.main.0.kernel');
    expect(names).toContain('encoder.cond.1.bias');
    expect(names).toContain('decoder.out.kernel');
    expect(names).toContain('decoder.logSigma');
    // Parallel MLP: main layer i sees [h, c_i] (8 + 8 inputs after the first).
    expect(vae.params.named()['decoder.main.1.kernel'].shape).toEqual([16, 8]);
    const other = new ConditionalVae(shape, new Rng(5));
    other.params.assignNamed(vae.params.toNamed(), 'test');
    expect(Array.from(other.decode(z, tf.tensor2d([[1, -1, 2]])).dataSync())).toEqual(Array.from(b));
    vae.dispose();
    other.dispose();
  });

  it('perVoxelNll: the same values and gradients as the composed ops, inside and outside the log σ clip range', () => {
    const rng = new Rng(9);
    const n = 4;
    const V = 5;
    const x = tf.tensor2d(Float32Array.from({ length: n * V }, () => rng.uniform()), [n, V]);
    // Raw log σ from −8 to 3 crosses both clip edges (−6, 1).
    const out = tf.tensor2d(Float32Array.from({ length: n * 2 * V }, (_, i) => (i % (2 * V) < V ? rng.normal() : -8 + 11 * rng.uniform())), [n, 2 * V]);
    const w = tf.tensor1d(Float32Array.from({ length: n }, () => 0.5 + rng.uniform()));
    const composed = (xv: tf.Tensor2D, o: tf.Tensor2D): tf.Tensor1D => {
      const mean = tf.slice(o, [0, 0], [-1, V]);
      const ls = tf.clipByValue(tf.slice(o, [0, V], [-1, V]), -6, 1);
      const t = tf.mul(tf.sub(xv, mean), tf.exp(tf.neg(ls)));
      return tf.add(tf.sum(tf.add(tf.mul(0.5, tf.square(t)), ls), 1), V * 0.5 * Math.log(2 * Math.PI)) as tf.Tensor1D;
    };
    const f = (fn: typeof composed) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(fn(a as tf.Tensor2D, b as tf.Tensor2D), w));
    const close = (a: tf.Tensor, b: tf.Tensor) => {
      const av = Array.from(a.dataSync());
      const bv = Array.from(b.dataSync());
      expect(av.length).toBe(bv.length);
      // float32 rounding, relative: σ = e⁻⁶ makes gradients of order 1e5.
      av.forEach((v, i) => expect(Math.abs(v - bv[i]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(bv[i]!))));
    };
    close(perVoxelNll(x, out), composed(x, out));
    const [gx, go] = tf.grads(f(perVoxelNll))([x, out]);
    const [cx, co] = tf.grads(f(composed))([x, out]);
    close(gx!, cx!);
    close(go!, co!);
    // Some raw log σ lie outside the clip range, where the gradient is zero.
    expect(Array.from(co!.dataSync()).filter((v) => v === 0).length).toBeGreaterThan(0);
  });
  it('zeroInflatedNll: exact zeros pay −log(1 − p), hits −log p plus their Gaussian NLL; gradients as the composed ops', () => {
    const rng = new Rng(10);
    const n = 4;
    const V = 5;
    // Half the voxels exactly zero (the thresholded training data's empty voxels).
    const x = tf.tensor2d(Float32Array.from({ length: n * V }, () => (rng.uniform() < 0.5 ? 0 : rng.uniform())), [n, V]);
    const out = tf.tensor2d(Float32Array.from({ length: n * 3 * V }, (_, i) => (i % (3 * V) < V ? rng.normal() : i % (3 * V) < 2 * V ? -8 + 11 * rng.uniform() : 3 * rng.normal())), [n, 3 * V]);
    // Independent per-element calculation.
    const xs = x.arraySync();
    const o = out.arraySync();
    const expected = xs.map((row, i) =>
      row.reduce((acc, xv, v) => {
        const p = 1 / (1 + Math.exp(-o[i][2 * V + v]));
        if (xv === 0) return acc - Math.log(1 - p);
        const ls = Math.min(1, Math.max(-6, o[i][V + v]));
        const t = (xv - o[i][v]) / Math.exp(ls);
        return acc - Math.log(p) + 0.5 * t * t + ls + 0.5 * Math.log(2 * Math.PI);
      }, 0),
    );
    const got = Array.from(zeroInflatedNll(x, out).dataSync());
    got.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(expected[i]!))));
    const composed = (xv: tf.Tensor2D, ov: tf.Tensor2D): tf.Tensor1D => {
      const hit = tf.cast(tf.greater(xv, 0), 'float32');
      const ls = tf.clipByValue(tf.slice(ov, [0, V], [-1, V]), -6, 1);
      const t = tf.mul(tf.sub(xv, tf.slice(ov, [0, 0], [-1, V])), tf.exp(tf.neg(ls)));
      const logp = tf.neg(tf.softplus(tf.neg(tf.slice(ov, [0, 2 * V], [-1, V]))));
      const log1mp = tf.neg(tf.softplus(tf.slice(ov, [0, 2 * V], [-1, V])));
      const gauss = tf.add(tf.add(tf.mul(0.5, tf.square(t)), ls), 0.5 * Math.log(2 * Math.PI));
      return tf.sum(tf.add(tf.mul(hit, tf.sub(gauss, logp)), tf.mul(tf.sub(1, hit), tf.neg(log1mp))), 1) as tf.Tensor1D;
    };
    const w = tf.tensor1d(Float32Array.from({ length: n }, () => 0.5 + rng.uniform()));
    const f = (fn: typeof composed) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(fn(a as tf.Tensor2D, b as tf.Tensor2D), w));
    const [, go] = tf.grads(f(zeroInflatedNll))([x, out]);
    const [, co] = tf.grads(f(composed))([x, out]);
    const gv = Array.from(go!.dataSync());
    const cv = Array.from(co!.dataSync());
    gv.forEach((v, i) => expect(Math.abs(v - cv[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(cv[i]!))));
  });

  it('zero-inflated likelihood: 3 outputs per voxel; a draw is |mean + k·σ·ε| where u < p, else exactly 0', () => {
    const vae = new ConditionalVae({ ...shape, likelihood: 'zero-inflated' }, new Rng(4));
    expect(vae.params.named()['decoder.out.kernel'].shape).toEqual([16, 18]);
    const rng = new Rng(5);
    const n = 50;
    const z = tf.tensor2d(Float32Array.from({ length: n * 2 }, () => rng.normal()), [n, 2]);
    const y = tf.tensor2d(Float32Array.from({ length: n * 3 }, () => rng.normal()), [n, 3]);
    const eps = tf.tensor2d(Float32Array.from({ length: n * 6 }, () => rng.normal()), [n, 6]);
    const u = tf.tensor2d(Float32Array.from({ length: n * 6 }, () => rng.uniform()), [n, 6]);
    const d = vae.decodeWithScale(z, y);
    const [mean, ls, logit] = [d.mean.dataSync(), d.logSigma.dataSync(), d.hitLogit!.dataSync()];
    const draw = vae.sample(z, y, 0.5, eps, u).dataSync();
    const [e, uu] = [eps.dataSync(), u.dataSync()];
    let zeros = 0;
    for (let i = 0; i < n * 6; i++) {
      const hit = uu[i]! < 1 / (1 + Math.exp(-logit[i]!));
      const want = hit ? Math.abs(mean[i]! + 0.5 * Math.exp(ls[i]!) * e[i]!) : 0;
      expect(draw[i]).toBeCloseTo(want, 5);
      if (!hit) zeros++;
    }
    expect(zeros).toBeGreaterThan(0);
    expect(zeros).toBeLessThan(n * 6);
    // decode() is the expected value p · mean.
    const ev = vae.decode(z, y).dataSync();
    for (let i = 0; i < n * 6; i++) expect(ev[i]).toBeCloseTo(mean[i]! / (1 + Math.exp(-logit[i]!)), 5);
    expect(() => vae.sample(z, y, 1, eps)).toThrow(/hit noise/);
    vae.dispose();
  });
  it('free bits: the loss charges Σ_d max(λ, batch-mean KL_d); the reported KL stays the ELBO\'s', () => {
    const vae = new ConditionalVae({ ...shape, likelihood: 'zero-inflated' }, new Rng(6));
    const rng = new Rng(7);
    const n = 8;
    const x = tf.tensor2d(Float32Array.from({ length: n * 6 }, () => (rng.uniform() < 0.4 ? 0 : rng.uniform())), [n, 6]);
    const y = tf.tensor2d(Float32Array.from({ length: n * 3 }, () => rng.normal()), [n, 3]);
    const eps = tf.tensor2d(Float32Array.from({ length: n * 2 }, () => rng.normal()), [n, 2]);
    const plain = vae.loss(x, y, eps, 0.8);
    const { mu, logSigma } = vae.encode(x, y);
    const m = mu.arraySync();
    const ls = logSigma.arraySync();
    const perDim = [0, 1].map((d) => m.reduce((a, r, i) => a + 0.5 * (r[d] ** 2 + Math.exp(2 * ls[i][d]) - 1 - 2 * ls[i][d]), 0) / n);
    const lambda = (perDim[0]! + perDim[1]!) / 2 + 1e-3; // above one dimension's KL at least
    const fb = vae.loss(x, y, eps, 0.8, lambda);
    expect(fb.kl.dataSync()[0]).toBeCloseTo(plain.kl.dataSync()[0]!, 5);
    expect(fb.reconstruction.dataSync()[0]).toBeCloseTo(plain.reconstruction.dataSync()[0]!, 4);
    const charged = perDim.reduce((a, k) => a + Math.max(lambda, k), 0);
    expect(fb.loss.dataSync()[0]).toBeCloseTo(plain.reconstruction.dataSync()[0]! + 0.8 * charged, 3);
    expect(charged).toBeGreaterThan(plain.kl.dataSync()[0]!);
    vae.dispose();
  });
  it('zero-inflated draws with the layers: a layer without hits gets one, p·|mean| at its largest p·|mean|; the others are untouched', () => {
    const vae = new ConditionalVae({ ...shape, likelihood: 'zero-inflated' }, new Rng(8));
    const rng = new Rng(9);
    const n = 40;
    const z = tf.tensor2d(Float32Array.from({ length: n * 2 }, () => rng.normal()), [n, 2]);
    const y = tf.tensor2d(Float32Array.from({ length: n * 3 }, () => rng.normal()), [n, 3]);
    const eps = tf.tensor2d(Float32Array.from({ length: n * 6 }, () => rng.normal()), [n, 6]);
    // Uniforms near 1 make most draws misses, so many layers come out empty.
    const u = tf.tensor2d(Float32Array.from({ length: n * 6 }, () => 0.5 + 0.5 * rng.uniform()), [n, 6]);
    // Layers: voxels 0-1, 2-4, 5.
    const layerOf = [0, 0, 1, 1, 1, 2];
    const plain = vae.sample(z, y, 1, eps, u).dataSync();
    const filled = vae.sample(z, y, 1, eps, u, [{ start: 0, end: 2 }, { start: 2, end: 5 }, { start: 5, end: 6 }]).dataSync();
    const d = vae.decodeWithScale(z, y);
    const [mean, logit] = [d.mean.dataSync(), d.hitLogit!.dataSync()];
    let emptyLayers = 0;
    for (let i = 0; i < n; i++) {
      for (let l = 0; l < 3; l++) {
        const vs = [0, 1, 2, 3, 4, 5].filter((v) => layerOf[v] === l);
        const empty = vs.every((v) => plain[i * 6 + v] === 0);
        if (empty) emptyLayers++;
        const q = (v: number) => Math.abs(mean[i * 6 + v]!) / (1 + Math.exp(-logit[i * 6 + v]!));
        const best = vs.reduce((a, v) => (q(v) > q(a) ? v : a), vs[0]!);
        for (const v of vs) {
          const j = i * 6 + v;
          expect(filled[j]).toBeCloseTo(empty ? (v === best ? q(v) : 0) : plain[j]!, 5);
        }
        if (empty) expect(vs.filter((v) => filled[i * 6 + v]! > 0)).toEqual([best]);
      }
    }
    expect(emptyLayers).toBeGreaterThan(0);
    expect(emptyLayers).toBeLessThan(n * 3);
    vae.dispose();
  });
});
