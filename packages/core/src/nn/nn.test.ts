/**
 * The layer kit, one parity test per layer: the TF.js forward pass on every backend against the
 * same layer's ONNX emission run by ONNX Runtime (tolerance max |Δ| / max(1, max |y|) < 1e-4),
 * plus the numbers only one side can check (initialisation bounds, running statistics, shapes).
 */
import { describe, expect, it } from 'vitest';
import { Adam } from '../optim/adam.js';
import { OnnxGraphBuilder } from '../onnx/builder.js';
import { createOrtSession } from '../onnx/session.js';
import type { OnnxValue } from '../onnx/types.js';
import { Rng } from '../rng.js';
import { maxRelDiff, randn } from '../../test/onnx/helpers.js';
import { tf } from '../device/tf.js';
import { forEachBackend } from '../testing/backends.js';
import { Activation, BatchNorm, Conv3d, ConvTranspose3d, Dense, InstanceNorm, LayerNorm, MaxPool3d, Reshape, Sequential } from './layers.js';
import type { Layer } from './layer.js';

const TOL = 1e-4;

/** NDHWC ↔ NCDHW of a row-major array. */
function toChannelsFirst(x: Float32Array, [n, d, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n!; b++) for (let z = 0; z < d!; z++) for (let y = 0; y < h!; y++) for (let v = 0; v < w!; v++) for (let k = 0; k < c!; k++) out[((((b * c! + k) * d! + z) * h! + y) * w!) + v] = x[((((b * d! + z) * h! + y) * w! + v) * c!) + k]!;
  return out;
}

/** Runs `layer` on x [n, ...shape] (TF.js layout) in TF.js and in ONNX Runtime; returns both outputs in TF.js layout. */
async function both(layer: Layer, shape: number[], x: Float32Array, n: number): Promise<{ tfjs: Float32Array; ort: Float32Array; outShape: number[] }> {
  const outShape = layer.outputShape(shape);
  const tfjs = tf.tidy(() => {
    const y = layer.apply(tf.tensor(x, [n, ...shape]));
    expect(y.shape).toEqual([n, ...outShape]);
    return y.dataSync() as Float32Array;
  });
  const g = new OnnxGraphBuilder();
  const rank5In = shape.length === 4;
  const xi = g.input('x', 'float32', rank5In ? [null, shape[3]!, shape[0]!, shape[1]!, shape[2]!] : [null, ...shape]);
  let y: OnnxValue = layer.toOnnx(g, xi);
  // Back to TF.js layout for the comparison.
  if (outShape.length === 4) y = g.transpose(y, [0, 2, 3, 4, 1]);
  g.output(y, 'y');
  const s = await createOrtSession(g.toBytes(), { threads: 1 });
  try {
    const feed = rank5In ? toChannelsFirst(x, [n, ...shape]) : x;
    const dims = rank5In ? [n, shape[3]!, shape[0]!, shape[1]!, shape[2]!] : [n, ...shape];
    const r = await s.run({ x: { data: feed, dims } });
    return { tfjs, ort: r['y']!.data as Float32Array, outShape };
  } finally {
    await s.dispose();
  }
}

await forEachBackend(() => {
  describe('layer kit: TF.js ↔ ONNX Runtime', () => {
    it('Dense with fused and unfused activations, a mask, no bias; PyTorch initialisation bounds', async () => {
      const rng = new Rng(1);
      const mask = Float32Array.from({ length: 12 * 7 }, (_, i) => (i % 3 === 0 ? 0 : 1));
      const layers: Layer[] = [
        new Dense(12, 7, rng, { activation: 'relu' }),
        new Dense(12, 7, rng, { activation: { name: 'leakyRelu', alpha: 0.2 } }),
        new Dense(12, 7, rng, { activation: 'sigmoid', mask }),
        new Dense(12, 7, rng, { activation: 'softplus', noBias: true }),
        new Dense(12, 7, rng, { init: { bound: 1e-3 } }),
      ];
      const x = randn(rng, 9 * 12);
      for (const l of layers) {
        const r = await both(l, [12], x, 9);
        expect(maxRelDiff(r.ort, r.tfjs)).toBeLessThan(TOL);
      }
      const k = (layers[0] as Dense).kernel.dataSync();
      expect(Math.max(...k.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(12));
      expect(Math.max(...k.map(Math.abs))).toBeGreaterThan(0.8 / Math.sqrt(12));
      expect(Math.max(...(layers[4] as Dense).kernel.dataSync().map(Math.abs))).toBeLessThanOrEqual(1e-3);
      // Masked connections contribute nothing.
      const w = tf.tidy(() => (layers[2] as Dense).weight().dataSync());
      expect(Array.from(w).filter((_, i) => mask[i] === 0).every((v) => v === 0)).toBe(true);
      layers.forEach((l) => l.dispose());
    });

    it('BatchNorm: running statistics as PyTorch (momentum 0.1, unbiased variance), then inference parity', async () => {
      const rng = new Rng(4);
      for (const shape of [[6], [3, 2, 4, 6]]) {
        const bn = new BatchNorm(6);
        const n = 16;
        const size = n * shape.reduce((a, b) => a * b, 1);
        const batches = [randn(rng, size, 2).map((v) => v + 1), randn(rng, size, 0.5)];
        const rm = new Float64Array(6);
        const rv = new Float64Array(6).fill(1);
        for (const b of batches) {
          tf.tidy(() => void bn.apply(tf.tensor(b, [n, ...shape]), true));
          for (let c = 0; c < 6; c++) {
            const v = Array.from(b).filter((_, i) => i % 6 === c);
            const mean = v.reduce((a, x) => a + x, 0) / v.length;
            const variance = v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1);
            rm[c] = 0.9 * rm[c]! + 0.1 * mean;
            rv[c] = 0.9 * rv[c]! + 0.1 * variance;
          }
        }
        expect(maxRelDiff(bn.runningMean.dataSync(), rm)).toBeLessThan(1e-5);
        expect(maxRelDiff(bn.runningVar.dataSync(), rv)).toBeLessThan(1e-5);
        bn.gamma.assign(tf.tensor1d(randn(rng, 6)));
        bn.beta.assign(tf.tensor1d(randn(rng, 6)));
        const r = await both(bn, shape, randn(rng, size), n);
        expect(maxRelDiff(r.ort, r.tfjs)).toBeLessThan(TOL);
        bn.dispose();
      }
    });

    it('LayerNorm over every feature of a sample, flat and rank 5', async () => {
      const rng = new Rng(5);
      for (const shape of [[10], [3, 4, 2, 5]]) {
        const ln = new LayerNorm(shape);
        const size = shape.reduce((a, b) => a * b, 1);
        ln.gamma.assign(tf.tensor(randn(rng, size), shape));
        ln.beta.assign(tf.tensor(randn(rng, size), shape));
        const x = randn(rng, 4 * size, 3);
        const r = await both(ln, shape, x, 4);
        expect(maxRelDiff(r.ort, r.tfjs)).toBeLessThan(TOL);
        // Independent check of one sample: mean 0, variance 1 before the affine part.
        const plain = new LayerNorm(shape);
        const y = Array.from(tf.tidy(() => plain.apply(tf.tensor(x, [4, ...shape])).dataSync().slice(0, size)));
        const mean = y.reduce((a, v) => a + v, 0) / size;
        expect(Math.abs(mean)).toBeLessThan(1e-5);
        expect(Math.abs(y.reduce((a, v) => a + v * v, 0) / size - 1)).toBeLessThan(1e-3);
        ln.dispose();
        plain.dispose();
      }
    });

    it('LayerNorm per channel over (d, h, w), as PyTorch nn.LayerNorm([D, H, W]) on NCDHW', async () => {
      const rng = new Rng(7);
      const shape = [3, 4, 2, 5];
      const ln = new LayerNorm(shape, { perChannel: true });
      expect(ln.gamma.shape).toEqual([3, 4, 2, 1]);
      ln.gamma.assign(tf.tensor(randn(rng, 24), [3, 4, 2, 1]));
      ln.beta.assign(tf.tensor(randn(rng, 24), [3, 4, 2, 1]));
      const x = randn(rng, 2 * 120, 3);
      const r = await both(ln, shape, x, 2);
      expect(maxRelDiff(r.ort, r.tfjs)).toBeLessThan(TOL);
      // Independent check: channel 1 of sample 1 normalised over its 24 values, then γ, β per position.
      const g = ln.gamma.dataSync();
      const b = ln.beta.dataSync();
      const v = Array.from({ length: 24 }, (_, p) => x[120 + p * 5 + 1]!);
      const mean = v.reduce((a, t) => a + t, 0) / 24;
      const sd = Math.sqrt(v.reduce((a, t) => a + (t - mean) ** 2, 0) / 24 + 1e-5);
      for (let p = 0; p < 24; p++) expect(r.tfjs[120 + p * 5 + 1]!).toBeCloseTo(((v[p]! - mean) / sd) * g[p]! + b[p]!, 4);
      expect(() => new LayerNorm([10], { perChannel: true })).toThrow(/perChannel/);
      ln.dispose();
    });

    it('LayerNorm: a sample gives the same bytes in any batch; rank 5 differentiates twice (gradient penalties)', () => {
      const rng = new Rng(8);
      for (const [shape, opts] of [[[37], {}], [[3, 4, 2, 5], {}], [[3, 4, 2, 5], { perChannel: true }]] as const) {
        const ln = new LayerNorm(shape, opts);
        const per = shape.reduce((a: number, b: number) => a * b, 1);
        const x = tf.tensor(randn(rng, 13 * per, 3), [13, ...shape]);
        const whole = tf.tidy(() => ln.apply(x).dataSync());
        const parts = tf.tidy(() => tf.concat([ln.apply(tf.slice(x, 0, 5)), ln.apply(tf.slice(x, 5, 8))], 0).dataSync());
        expect(Buffer.from(whole.buffer).equals(Buffer.from(parts.buffer))).toBe(true);
        // ∂/∂s of ‖∂ sum((s·LN(x))²·w)/∂x‖² at s = 1: a second-order gradient through the layer.
        const w = tf.tensor(randn(rng, 13 * per), [13, ...shape]);
        const g2 = tf.tidy(() => tf.grad((gamma: tf.Tensor) => {
          const inner = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(tf.square(tf.mul(ln.apply(xi), gamma)), w)))(x);
          return tf.sum(tf.square(inner));
        })(tf.onesLike(ln.gamma)).dataSync());
        expect(g2.every(Number.isFinite)).toBe(true);
        expect(g2.some((v) => v !== 0)).toBe(true);
        tf.dispose([x, w]);
        ln.dispose();
      }
    });

    it('InstanceNorm per sample and channel over (d, h, w), as PyTorch nn.InstanceNorm3d, with and without affine', async () => {
      const rng = new Rng(11);
      const shape = [3, 4, 2, 5];
      for (const affine of [false, true]) {
        const l = new InstanceNorm(5, { affine });
        expect(Object.keys(l.params())).toEqual(affine ? ['gamma', 'beta'] : []);
        if (affine) {
          l.gamma!.assign(tf.tensor1d(randn(rng, 5)));
          l.beta!.assign(tf.tensor1d(randn(rng, 5)));
        }
        const x = randn(rng, 2 * 120, 3);
        const r = await both(l, shape, x, 2);
        expect(maxRelDiff(r.ort, r.tfjs)).toBeLessThan(TOL);
        // Independent check: channel 3 of sample 1 over its 24 cells, in float64.
        const g = affine ? l.gamma!.dataSync()[3]! : 1;
        const b = affine ? l.beta!.dataSync()[3]! : 0;
        const v = Array.from({ length: 24 }, (_, p) => x[120 + p * 5 + 3]!);
        const mean = v.reduce((a, t) => a + t, 0) / 24;
        const sd = Math.sqrt(v.reduce((a, t) => a + (t - mean) ** 2, 0) / 24 + 1e-5);
        for (let p = 0; p < 24; p++) expect(r.tfjs[120 + p * 5 + 3]!).toBeCloseTo(((v[p]! - mean) / sd) * g + b, 4);
        l.dispose();
      }
      expect(() => new InstanceNorm(5).apply(tf.zeros([1, 2, 2, 2, 4]))).toThrow(/\[n, d, h, w, 5\]/);
    });

    it('MaxPool3d as PyTorch (kernel, stride, padding): ONNX Runtime and a direct loop agree; its gradient differentiates again', async () => {
      const rng = new Rng(12);
      const cases = [
        { k: 3, s: 2, p: 1, in: [7, 6, 5] }, // the §4.5 ResNet critic's stem pooling
        { k: 2, s: 2, p: 0, in: [4, 5, 3] },
        { k: [3, 2, 1], s: [1, 2, 1], p: [1, 1, 0], in: [5, 4, 3] },
      ] as const;
      const C = 3, n = 2;
      for (const c of cases) {
        const l = new MaxPool3d(c.k as never, { stride: c.s as never, padding: c.p as never });
        const shape = [...c.in, C];
        const x = randn(rng, n * c.in[0] * c.in[1] * c.in[2] * C);
        const r = await both(l, shape, x, n);
        expect(maxRelDiff(r.ort, r.tfjs)).toBe(0);
        // Direct loop: the maximum over each window's cells inside the input.
        const k3 = typeof c.k === 'number' ? [c.k, c.k, c.k] : c.k, s3 = typeof c.s === 'number' ? [c.s, c.s, c.s] : c.s, p3 = typeof c.p === 'number' ? [c.p, c.p, c.p] : c.p;
        const [D, H, W] = c.in;
        const [od, oh, ow] = r.outShape as [number, number, number];
        for (let b = 0; b < n; b++) for (let z = 0; z < od; z++) for (let y = 0; y < oh; y++) for (let u = 0; u < ow; u++) for (let ch = 0; ch < C; ch++) {
          let m = -Infinity;
          for (let a = 0; a < k3[0]!; a++) for (let e = 0; e < k3[1]!; e++) for (let f = 0; f < k3[2]!; f++) {
            const zi = z * s3[0]! - p3[0]! + a, yi = y * s3[1]! - p3[1]! + e, ui = u * s3[2]! - p3[2]! + f;
            if (zi >= 0 && zi < D && yi >= 0 && yi < H && ui >= 0 && ui < W) m = Math.max(m, x[(((b * D + zi) * H + yi) * W + ui) * C + ch]!);
          }
          expect(r.tfjs[(((b * od + z) * oh + y) * ow + u) * C + ch]).toBe(m);
        }
        // ∂/∂w of ‖∂ sum(pool(x·w)²)/∂x‖² against central differences (no ties in random data).
        const xt = tf.tensor(x, [n, ...shape]);
        const f = (w: tf.Tensor): tf.Scalar => tf.tidy(() => {
          const inner = tf.grad((xi: tf.Tensor) => tf.sum(tf.square(l.apply(tf.mul(xi, w)))))(xt);
          return tf.sum(tf.square(inner));
        });
        const w0 = tf.tensor1d([0.7, -1.3, 0.4]);
        const g2 = tf.tidy(() => tf.grad(f)(w0).dataSync());
        for (let i = 0; i < C; i++) {
          const h = 1e-2;
          const dw = tf.tidy(() => tf.mul(tf.oneHot(i, C).asType('float32'), h));
          const fd = (tf.tidy(() => f(tf.add(w0, dw)).dataSync()[0]!) - tf.tidy(() => f(tf.sub(w0, dw)).dataSync()[0]!)) / (2 * h);
          expect(Math.abs(g2[i]! - fd)).toBeLessThan(1e-3 * Math.max(1, Math.abs(fd)));
          dw.dispose();
        }
        tf.dispose([xt, w0]);
      }
      expect(() => new MaxPool3d(3, { padding: 2 })).toThrow(/padding must be in \[0, kernel\/2\]/);
    });

  });
});

await forEachBackend(() => {
  describe('layer kit: TF.js ↔ ONNX Runtime, 3-D convolutions', () => {
    it('Conv3d with stride and padding, and without', async () => {
      const rng = new Rng(2);
      for (const [k, s, p] of [[3, 2, 1], [4, 1, 0], [3, 1, 1]] as const) {
        const l = new Conv3d(3, 5, k, rng, { stride: s, padding: p, activation: { name: 'leakyRelu', alpha: 0.2 } });
        const shape = [7, 6, 5, 3];
        const r = await both(l, shape, randn(rng, 2 * 7 * 6 * 5 * 3), 2);
        expect(maxRelDiff(r.ort, r.tfjs)).toBeLessThan(TOL);
        l.dispose();
      }
    });

    it('ConvTranspose3d against its sub-pixel ONNX form, shapes as PyTorch (padding, output padding)', async () => {
      const rng = new Rng(3);
      const cases = [
        { k: 4, s: 2, p: 1, op: 0, in: [3, 3, 3], out: [6, 6, 6] },
        { k: 3, s: 2, p: 1, op: 1, in: [4, 3, 5], out: [8, 6, 10] },
        { k: 3, s: 2, p: 0, op: 0, in: [2, 3, 2], out: [5, 7, 5] },
        { k: 3, s: 1, p: 1, op: 0, in: [4, 4, 4], out: [4, 4, 4] },
        // output padding = 2·padding: the full size, shifted by the padding (BIB-AE decoder, 10³ → 30³)
        { k: 3, s: 3, p: 1, op: 2, in: [3, 2, 3], out: [9, 6, 9] },
      ];
      for (const c of cases) {
        const l = new ConvTranspose3d(4, 2, c.k, rng, { stride: c.s, padding: c.p, outputPadding: c.op, activation: 'relu' });
        const shape = [...c.in, 4];
        const r = await both(l, shape, randn(rng, 3 * c.in[0]! * c.in[1]! * c.in[2]! * 4), 3);
        expect(r.outShape).toEqual([...c.out, 2]);
        expect(maxRelDiff(r.ort, r.tfjs)).toBeLessThan(TOL);
        l.dispose();
      }
    });

    it('a generator-shaped Sequential (Dense → Reshape → ConvTranspose3d → BatchNorm → Conv3d → Reshape → Dense) matches and trains', async () => {
      const rng = new Rng(6);
      const net = new Sequential([
        ['fc', new Dense(5, 2 * 2 * 2 * 4, rng, { activation: 'relu' })],
        ['grid', new Reshape([2, 2, 2, 4])],
        ['up', new ConvTranspose3d(4, 3, 4, rng, { stride: 2, padding: 1 })],
        ['bn', new BatchNorm(3)],
        ['act', new Activation({ name: 'leakyRelu', alpha: 0.2 })],
        ['conv', new Conv3d(3, 2, 3, rng, { padding: 1 })],
        ['flat', new Reshape([4 * 4 * 4 * 2])],
        ['out', new Dense(128, 3, rng)],
      ]);
      expect(Object.keys(net.params())).toEqual(['fc.kernel', 'fc.bias', 'up.kernel', 'up.bias', 'bn.gamma', 'bn.beta', 'conv.kernel', 'conv.bias', 'out.kernel', 'out.bias']);
      expect(Object.keys(net.variables())).toContain('bn.runningVar');
      const x = randn(rng, 6 * 5);
      const r = await both(net, [5], x, 6);
      expect(r.outShape).toEqual([3]);
      expect(maxRelDiff(r.ort, r.tfjs)).toBeLessThan(TOL);
      // A few Adam steps on a regression target lower the loss: every layer has a gradient.
      const target = tf.tensor2d(randn(rng, 6 * 3), [6, 3]);
      const xt = tf.tensor2d(x, [6, 5]);
      const adam = new Adam(net.params());
      const loss = () => tf.mean(tf.square(tf.sub(net.apply(xt, true), target))) as tf.Scalar;
      const first = adam.minimize(loss, 1e-2);
      let last = first;
      for (let i = 0; i < 30; i++) last = adam.minimize(loss, 1e-2);
      expect(last).toBeLessThan(first / 2);
      adam.dispose();
      tf.dispose([target, xt]);
      net.dispose();
    });
  });
}, { requires: ['conv3d'] });
