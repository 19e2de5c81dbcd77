/**
 * TF.js (cpu backend) ↔ onnxruntime parity of the builder's ops written by hand: 3-D conv /
 * transposed-conv stacks, layer, batch and instance norm (the layer kit's own parity suite is
 * src/nn/nn.test.ts).
 * Tolerance: max |Δ| / max(1, max |y|) < 1e-4.
 */
import * as tfjs from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../../src/device/tf.js';
import { OnnxGraphBuilder, type OnnxValue } from '../../src/onnx/index.js';
import { Rng } from '../../src/rng.js';
import { maxRelDiff, randn, runOnnx } from './helpers.js';

const TOL = 1e-4;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tfjs.randomUniform([1]).dispose();
});

/** tf conv3d filter [kd, kh, kw, in, out] → ONNX Conv weight (out, in, kd, kh, kw). */
const convW = (f: tf.Tensor) => ({ data: f.transpose([4, 3, 0, 1, 2]).dataSync() as Float32Array, shape: [f.shape[4]!, f.shape[3]!, f.shape[0]!, f.shape[1]!, f.shape[2]!] });
/** tf conv3dTranspose filter [kd, kh, kw, out, in] → ONNX ConvTranspose weight (in, out, kd, kh, kw): the same axis swap. */
const convTW = convW;
const toNCDHW = (t: tf.Tensor) => t.transpose([0, 4, 1, 2, 3]).dataSync() as Float32Array;

describe('TF.js ↔ onnxruntime parity', () => {
  it('3-D conv / transposed-conv stack with layer norm (plain ConvTranspose and sub-pixel)', async () => {
    const rng = new Rng(9);
    const batch = 2, cin = 2, n = 6;
    const t = (shape: number[], s = 0.3) => tf.tensor(randn(rng, shape.reduce((a, b) => a * b, 1), s), shape);
    const f1 = t([3, 3, 3, cin, 4]), b1 = t([4], 0.1);
    const f2 = t([4, 4, 4, 3, 4]), b2 = t([3], 0.1);
    const lnScale = t([3, 4, 4, 4]).add(1), lnBias = t([3, 4, 4, 4], 0.1);
    const f3 = t([3, 3, 3, 1, 3]), b3 = t([1], 0.1);
    const x = randn(rng, batch * n * n * n * cin);
    const xt = tf.tensor5d(x, [batch, n, n, n, cin]);
    // k4 s2 p1 takes 2³ → 4³; PyTorch LayerNorm([C, D, H, W]) parameters have that shape
    const lnS = lnScale, lnB = lnBias;
    const ref = tf.tidy(() => {
      const h1 = tf.leakyRelu(tf.conv3d(xt, f1 as tf.Tensor5D, 2, 'valid').add(b1), 0.2);
      const h2 = tf.conv3dTranspose(h1 as tf.Tensor5D, f2 as tf.Tensor5D, [batch, 4, 4, 4, 3], 2, 'same').add(b2).transpose([0, 4, 1, 2, 3]);
      const { mean, variance } = tf.moments(h2, [1, 2, 3, 4], true);
      const ln = h2.sub(mean).div(variance.add(1e-5).sqrt()).mul(lnS).add(lnB).relu();
      const h3 = tf.conv3dTranspose(ln.transpose([0, 2, 3, 4, 1]) as tf.Tensor5D, f3 as tf.Tensor5D, [batch, 6, 6, 6, 1], 1, 'valid').add(b3);
      return h3.slice([0, 1, 1, 1, 0], [batch, 4, 4, 4, 1]).relu(); // PyTorch k3 s1 p1
    });
    const build = (subPixel: boolean) => {
      const g = new OnnxGraphBuilder();
      const xi = g.input('x', 'float32', [null, cin, n, n, n]);
      const h1 = g.leakyRelu(g.conv(xi, convW(f1), { data: b1.dataSync() as Float32Array, shape: [4] }, { strides: [2, 2, 2] }), 0.2);
      const W2 = convTW(f2), B2 = { data: b2.dataSync() as Float32Array, shape: [3] };
      const h2: OnnxValue = subPixel ? g.convTranspose3dSubPixel(h1, W2, B2, { stride: 2, padding: 1 }) : g.convTranspose(h1, W2, B2, { strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1] });
      expect(h2.shape).toEqual([null, 3, 4, 4, 4]);
      const ln = g.relu(g.layerNormalization(h2, g.initializer('ln_s', lnS.dataSync() as Float32Array, [...lnS.shape]), g.initializer('ln_b', lnB.dataSync() as Float32Array, [...lnB.shape]), { axis: 1, epsilon: 1e-5 }));
      const W3 = convTW(f3), B3 = { data: b3.dataSync() as Float32Array, shape: [1] };
      const h3 = subPixel ? g.convTranspose3dSubPixel(ln, W3, B3, { stride: 1, padding: 1 }) : g.convTranspose(ln, W3, B3, { pads: [1, 1, 1, 1, 1, 1] });
      g.output(g.relu(h3), 'y');
      return g;
    };
    const expected = toNCDHW(ref);
    for (const sub of [false, true]) {
      const r = await runOnnx(build(sub), { x: { data: toNCDHW(xt), dims: [batch, cin, n, n, n] } });
      expect(r.y!.dims).toEqual([batch, 1, 4, 4, 4]);
      expect(maxRelDiff(r.y!.data as Float32Array, expected), `subPixel=${sub}`).toBeLessThan(TOL);
    }
    tf.dispose([f1, b1, f2, b2, lnScale, lnBias, f3, b3, xt, ref]);
  });

  it('layer norm over the last axis, batch norm and instance norm', async () => {
    const rng = new Rng(21);
    const x2 = randn(rng, 6 * 12, 2);
    const gamma = randn(rng, 12, 0.5).map((v) => v + 1), beta = randn(rng, 12, 0.2);
    const ln = tfjs.layers.layerNormalization({ axis: -1, epsilon: 1e-3, gammaInitializer: tfjs.initializers.constant({ value: 1 }) });
    ln.build([null, 12]);
    ln.setWeights([tf.tensor1d(gamma), tf.tensor1d(beta)]);
    const wantLn = tf.tidy(() => (ln.apply(tf.tensor2d(x2, [6, 12])) as tf.Tensor).dataSync() as Float32Array);

    const c = 3, batch = 2, n = 4;
    const x5 = randn(rng, batch * c * n * n * n, 1.5);
    const mean = randn(rng, c, 0.3), variance = randn(rng, c).map((v) => v * v + 0.5);
    const scale = randn(rng, c, 0.5).map((v) => v + 1), offset = randn(rng, c, 0.2);
    const xt = tf.tensor5d(x5, [batch, c, n, n, n]).transpose([0, 2, 3, 4, 1]);
    const wantBn = tf.tidy(() => toNCDHW(tf.batchNorm(xt, tf.tensor1d(mean), tf.tensor1d(variance), tf.tensor1d(offset), tf.tensor1d(scale), 1e-3)));
    const wantIn = tf.tidy(() => {
      const m = tf.moments(xt, [1, 2, 3], true);
      return toNCDHW(xt.sub(m.mean).div(m.variance.add(1e-5).sqrt()).mul(tf.tensor1d(scale)).add(tf.tensor1d(offset)));
    });

    const g = new OnnxGraphBuilder();
    const a = g.input('a', 'float32', [null, 12]);
    const b = g.input('b', 'float32', [null, c, n, n, n]);
    g.output(g.layerNormalization(a, { data: gamma, shape: [12] }, { data: beta, shape: [12] }, { epsilon: 1e-3 }), 'ln');
    const f = (v: Float32Array) => ({ data: v, shape: [c] });
    g.output(g.batchNormalization(b, f(scale), f(offset), f(mean), f(variance), 1e-3), 'bn');
    g.output(g.instanceNormalization(b, f(scale), f(offset), 1e-5), 'in');
    const r = await runOnnx(g, { a: { data: x2, dims: [6, 12] }, b: { data: x5, dims: [batch, c, n, n, n] } });
    expect(maxRelDiff(r.ln!.data as Float32Array, wantLn)).toBeLessThan(TOL);
    expect(maxRelDiff(r.bn!.data as Float32Array, wantBn)).toBeLessThan(TOL);
    expect(maxRelDiff(r.in!.data as Float32Array, wantIn)).toBeLessThan(TOL);
    xt.dispose();

  });
});
