/**
 * The published layer lists, shape by shape (field-reference.md §4.4, §4.5), the published
 * initialisation, and the conv generator on TF.js against its ONNX graph on ONNX Runtime.
 */
import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder, Rng, Sequential, createOrtSession, tf } from '@calozoo/core';
import { ConvConstrainer, ConvCritic, ConvGenerator } from './conv-networks.js';
import { gradientPenalty } from './losses.js';
import { BasicBlock3d, ResNetCritic } from './resnet-critic.js';
import { DenseConstrainer, DenseCritic, DenseGenerator } from './dense-networks.js';
import { kaimingInit, publishedInit } from './init.js';
import { layerShapes, type NetParts } from './networks.js';

const part = (net: NetParts, name: string): Sequential => (net as unknown as { parts: Record<string, Sequential> }).parts[name]!;
/** Shapes after the layers of the given types only (skipping norms and activations). */
const convShapes = (seq: Sequential, input: number[]): number[][] => layerShapes(seq, input).filter((_, i) => /Conv|Reshape|Dense/.test(seq.layers[i]!.constructor.name));

describe('ILD photons 30×30×30 (§4.4)', () => {
  const g = new ConvGenerator('ild-30', 100, 32, new Rng(1));
  const d = new ConvCritic([30, 30, 30], 32, new Rng(2));
  const c = new ConvConstrainer([30, 30, 30], 16, new Rng(3));
  publishedInit([...g.layers(), ...d.layers(), ...c.layers()], new Rng(9));

  it('generator: E and z stems to 4³ × 128 each, concat 256, ConvT 256→128→64→32 to 32³, ConvT 32→1 k3 s1 p2 to 30³', () => {
    expect(layerShapes(part(g, 'energy'), [1])).toEqual([[1, 1, 1, 1], [4, 4, 4, 128]]);
    expect(layerShapes(part(g, 'noise'), [100])).toEqual([[1, 1, 1, 100], [4, 4, 4, 128]]);
    expect(convShapes(part(g, 'body'), [4, 4, 4, 256])).toEqual([[8, 8, 8, 128], [16, 16, 16, 64], [32, 32, 32, 32], [30, 30, 30, 1]]);
    // LayerNorm + ReLU between the transposed convolutions, a ReLU at the end (inside the last layer).
    expect(part(g, 'body').layers.map((l) => l.constructor.name)).toEqual(['ConvTranspose3d', 'LayerNorm', 'Activation', 'ConvTranspose3d', 'LayerNorm', 'Activation', 'ConvTranspose3d', 'LayerNorm', 'Activation', 'ConvTranspose3d']);
  });

  it('critic: (21,16,16) → (16,8,8) → (13,4,4) → (10,3,3), flatten 90 ⊕ E → 91→100→200→100→75→1', () => {
    expect(convShapes(part(d, 'body'), [27000])).toEqual([[30, 30, 30, 1], [21, 16, 16, 32], [16, 8, 8, 64], [13, 4, 4, 128], [10, 3, 3, 1], [90]]);
    expect(layerShapes(part(d, 'head'), [91])).toEqual([[100], [200], [100], [75], [1]]);
  });

  it('critic: its convolutions (no bias, LayerNorm after the first) do not see a shower\'s overall scale, only E and appended features can carry it', () => {
    const V = 27000;
    const x = new Rng(5).fillUniform(new Float32Array(2 * V)) as Float32Array;
    const score = (v: Float32Array): Float32Array => tf.tidy(() => d.apply(tf.tensor2d(v, [2, V]), tf.tensor2d([20, 80], [2, 1])).dataSync() as Float32Array);
    const s0 = score(x);
    const scaled = score(x.map((v) => 3 * v));
    const reshaped = score(x.map((v, i) => (i % 7 === 0 ? 3 * v : v)));
    // Measured: the rescaled score moves by 2e-8 (float32 rounding and LayerNorm's epsilon), the reshaped one by 1.5e-5.
    for (const r of [0, 1]) {
      expect(Math.abs(scaled[r]! - s0[r]!)).toBeLessThan(1e-2 * Math.abs(reshaped[r]! - s0[r]!));
    }
  });

  it('constrainer: 14³ × 16 → 6³ × 32 → 5³ × 16, flatten 2000 → 100 → 1', () => {
    expect(convShapes(part(c, 'net'), [27000])).toEqual([[30, 30, 30, 1], [14, 14, 14, 16], [6, 6, 6, 32], [5, 5, 5, 16], [2000], [100], [1]]);
  });

  it('published initialisation: kernels N(0, 0.02), LayerNorm γ N(1, 0.02), biases 0; conv biases not trained', () => {
    const v = g.variables();
    const k = Array.from(v['body.up0.kernel']!.dataSync());
    const mean = k.reduce((a, x) => a + x, 0) / k.length;
    const sd = Math.sqrt(k.reduce((a, x) => a + (x - mean) ** 2, 0) / k.length);
    expect(Math.abs(mean)).toBeLessThan(1e-3);
    expect(sd).toBeCloseTo(0.02, 3);
    const gamma = Array.from(v['body.ln0.gamma']!.dataSync());
    expect(v['body.ln0.gamma']!.shape).toEqual([8, 8, 8, 1]);
    expect(gamma.reduce((a, x) => a + x, 0) / gamma.length).toBeCloseTo(1, 2);
    expect(v['body.up0.bias']!.dataSync().every((x) => x === 0)).toBe(true);
    expect(Object.keys(g.trainable())).not.toContain('body.up0.bias');
    expect(Object.keys(d.trainable())).toContain('head.fc0.bias');
    expect(d.variables()['head.fc0.bias']!.dataSync().every((x) => x === 0)).toBe(true);
  });
});

describe('ILD pions 48×25×25 (§4.5)', () => {
  it('generator: (8,6,6) → (16,10,10) → (32,11,11) → (39,12,12) → (44,23,23) → (48,25,25)', () => {
    const g = new ConvGenerator('ild-48', 100, 32, new Rng(1));
    expect(convShapes(part(g, 'body'), [4, 4, 4, 256])).toEqual([[8, 6, 6, 128], [16, 10, 10, 64], [32, 11, 11, 32], [39, 12, 12, 10], [44, 23, 23, 5], [48, 25, 25, 1]]);
    g.dispose();
  });

  it('critic: the 3-D ResNet (stem (49,14,14)·64 → pool (25,7,7) → 3 blocks at 64 → 4 blocks at 128, (13,4,4)) → mean ⊕ E → 129 → 1', () => {
    const d = new ResNetCritic([48, 25, 25], 32, new Rng(2));
    expect(layerShapes(part(d, 'stem'), [30000])).toEqual([[48, 25, 25, 1], [49, 14, 14, 64], [49, 14, 14, 64], [49, 14, 14, 64], [25, 7, 7, 64]]);
    expect(part(d, 'stem').layers.map((l) => l.constructor.name)).toEqual(['Reshape', 'Conv3d', 'InstanceNorm', 'Activation', 'MaxPool3d']);
    expect(layerShapes(part(d, 'blocks'), [25, 7, 7, 64])).toEqual([...Array(3).fill([25, 7, 7, 64]), ...Array(4).fill([13, 4, 4, 128])]);
    // Shortcut convolutions only where the stride or the width changes (the first block of stage 2).
    const names = Object.keys(d.variables());
    expect(names.filter((k) => k.includes('shortcut'))).toEqual(['blocks.s2b0.shortcut.conv.kernel', 'blocks.s2b0.shortcut.conv.bias']);
    expect(d.variables()['head.kernel']!.shape).toEqual([129, 1]);
    // No norm has parameters (InstanceNorm without affine); the trained ones are the conv kernels and the head.
    expect(Object.keys(d.trainable()).every((k) => k.endsWith('.kernel') || k === 'head.bias')).toBe(true);
    expect(Object.keys(d.trainable())).toHaveLength(1 + 3 * 2 + 4 * 2 + 1 + 2);
    d.dispose();
  });

  it('critic: the published initialisation (conv kernels N(0, 2/fan-out), head U(±1/√129)), per-shower scores', () => {
    const d = new ResNetCritic([48, 25, 25], 4, new Rng(2));
    d.initialise(new Rng(3));
    const v = d.variables();
    const k = Array.from(v['blocks.s2b1.main.conv1.kernel']!.dataSync());
    const sd = Math.sqrt(k.reduce((a, x) => a + x * x, 0) / k.length);
    expect(sd / Math.sqrt(2 / (16 * 27))).toBeCloseTo(1, 1);
    expect(v['stem.conv.bias']!.dataSync().every((x) => x === 0)).toBe(true);
    expect(Object.keys(d.trainable())).not.toContain('stem.conv.bias');
    const head = Array.from(v['head.kernel']!.dataSync());
    expect(Math.max(...head.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(17));
    // Instance normalisation is per shower: a shower scores the same alone and in a batch.
    const x = tf.tensor2d(new Rng(4).fillUniform(new Float32Array(3 * 30000)) as Float32Array, [3, 30000]);
    const c = tf.tensor2d([20, 50, 80], [3, 1]);
    const all = tf.tidy(() => d.apply(x, c).dataSync());
    const one = tf.tidy(() => d.apply(tf.slice(x, [1, 0], [1, -1]), tf.slice(c, [1, 0], [1, -1])).dataSync());
    expect(Math.abs(all[1]! - one[0]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(one[0]!)));
    tf.dispose([x, c]);
    d.dispose();
  });

  it('critic: the gradient penalty differentiates through it (ResNet with max pooling and instance norms)', () => {
    const d = new ResNetCritic([48, 25, 25], 2, new Rng(2), 3);
    d.initialise(new Rng(5));
    const rng = new Rng(6);
    const real = tf.tensor2d(rng.fillUniform(new Float32Array(2 * 30003)) as Float32Array, [2, 30003]);
    const fake = tf.tensor2d(rng.fillUniform(new Float32Array(2 * 30003)) as Float32Array, [2, 30003]);
    const c = tf.tensor2d([0.1, -0.2], [2, 1]);
    const alpha = tf.tensor2d([0.3, 0.8], [2, 1]);
    const vars = d.trainable();
    const { grads, value } = tf.variableGrads(() => gradientPenalty((h) => d.apply(h, c), real, fake, alpha), Object.values(vars));
    expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
    // Every kernel gets a finite, non-zero gradient (the head's bias does not enter ∂D/∂x).
    for (const [name, v] of Object.entries(vars)) {
      if (!name.endsWith('.kernel')) continue;
      const g = grads[v.name]!.dataSync();
      expect(g.every(Number.isFinite)).toBe(true);
      expect(g.some((x) => x !== 0)).toBe(true);
    }
    tf.dispose([real, fake, c, alpha, value, ...Object.values(grads)]);
    d.dispose();
  });

  it('basic block: TF.js and its ONNX emission on ONNX Runtime agree (strided with a shortcut convolution, and plain)', async () => {
    for (const [inC, outC, stride] of [[3, 4, 2], [4, 4, 1]] as const) {
      const block = new BasicBlock3d(inC, outC, stride, new Rng(7));
      kaimingInit([block], new Rng(8));
      const shape = [5, 6, 7, inC];
      const n = 2;
      const x = new Rng(9).fillNormal(new Float32Array(n * 5 * 6 * 7 * inC)) as Float32Array;
      const out = block.outputShape(shape);
      const a = tf.tidy(() => tf.transpose(block.apply(tf.tensor(x, [n, ...shape])), [0, 4, 1, 2, 3]).dataSync() as Float32Array);
      const g = new OnnxGraphBuilder({ opset: 17 });
      g.output(block.toOnnx(g, g.input('x', 'float32', [null, inC, 5, 6, 7])), 'y');
      const s = await createOrtSession(g.toBytes(), { threads: 1 });
      const xcf = tf.tidy(() => tf.transpose(tf.tensor(x, [n, ...shape]), [0, 4, 1, 2, 3]).dataSync() as Float32Array);
      const b = (await s.run({ x: { data: xcf, dims: [n, inC, 5, 6, 7] } }))['y']!.data as Float32Array;
      await s.dispose();
      expect(b.length).toBe(n * out.reduce((p, v) => p * v, 1));
      const scale = Math.max(1, ...a.map(Math.abs));
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!))) / scale).toBeLessThan(1e-4);
      expect(a.some((v) => v > 0)).toBe(true);
      block.dispose();
    }
  });

  it('constrainer, and the critic with conv.critic "dcgan": the 30³ layer lists on the 48×25×25 input (README: the published pre-trained MLP constrainer is not built)', () => {
    const d = new ConvCritic([48, 25, 25], 32, new Rng(2));
    expect(convShapes(part(d, 'body'), [30000])).toEqual([[48, 25, 25, 1], [39, 13, 13, 32], [34, 6, 6, 64], [31, 3, 3, 128], [28, 2, 2, 1], [112]]);
    d.dispose();
    const c = new ConvConstrainer([48, 25, 25], 16, new Rng(3));
    expect(convShapes(part(c, 'net'), [30000]).slice(1, 5)).toEqual([[23, 12, 12, 16], [11, 5, 5, 32], [10, 4, 4, 16], [2560]]);
    c.dispose();
  });
});

describe('dense variant', () => {
  it('MLP shapes and the per-shower outputs of each network', () => {
    const rng = new Rng(4);
    const g = new DenseGenerator(10, 64, [32, 48], rng);
    const d = new DenseCritic(64, [40, 20], rng);
    const c = new DenseConstrainer(64, [16], rng);
    publishedInit([...g.layers(), ...d.layers(), ...c.layers()], rng);
    expect(layerShapes(part(g, 'net'), [11]).map((s) => s[0])).toEqual([32, 32, 32, 48, 48, 48, 64]);
    tf.tidy(() => {
      const x = g.apply(tf.randomUniform([5, 10], -1, 1, 'float32', 1) as tf.Tensor2D, tf.ones([5, 1]) as tf.Tensor2D);
      expect(x.shape).toEqual([5, 64]);
      expect(x.min().dataSync()[0]).toBeGreaterThanOrEqual(0);
      expect(d.apply(x, tf.ones([5, 1]) as tf.Tensor2D).shape).toEqual([5, 1]);
      expect(c.apply(x).shape).toEqual([5, 1]);
    });
    [g, d, c].forEach((n) => n.dispose());
  });
});

describe('conv generator: TF.js against ONNX Runtime (narrow ngf, both layouts)', () => {
  for (const [layout, V] of [['ild-30', 27000], ['ild-48', 30000]] as const) {
    it(`${layout}: same showers up to float32 rounding; output [n, ${V}] (reshaped [n, d, h, w, 1] in TF.js)`, async () => {
      const g = new ConvGenerator(layout, 8, 2, new Rng(5));
      publishedInit(g.layers(), new Rng(6));
      // Larger weights than the published init so that the ReLUs are not all at 0.
      for (const v of Object.values(g.trainable())) tf.tidy(() => v.assign(tf.mul(v, 20)));
      const n = 2;
      const z = Float32Array.from({ length: n * 8 }, (_, i) => Math.sin(i + 1));
      const e = Float32Array.of(10, 90);
      const a = tf.tidy(() => g.apply(tf.tensor2d(z, [n, 8]), tf.tensor2d(e, [n, 1])).dataSync() as Float32Array);
      expect(a.length).toBe(n * V);
      expect(a.some((x) => x > 0)).toBe(true);
      const gb = new OnnxGraphBuilder({ opset: 17 });
      gb.output(g.toOnnx(gb, gb.input('z', 'float32', [null, 8]), gb.input('e', 'float32', [null, 1])), 'x');
      const s = await createOrtSession(gb.toBytes(), { threads: 1 });
      const b = (await s.run({ z: { data: z, dims: [n, 8] }, e: { data: e, dims: [n, 1] } }))['x']!.data as Float32Array;
      await s.dispose();
      const scale = Math.max(...a);
      expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]!))) / scale).toBeLessThan(1e-4);
      g.dispose();
    });
  }
});
