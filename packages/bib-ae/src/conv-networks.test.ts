/**
 * The published BIB-AE conv networks (field-reference.md §4.1) shape by shape at published size,
 * and tiny ones run: forward passes, per-row critic scores, the decoder on TF.js against its ONNX
 * graph on ONNX Runtime, and the critic's gradient penalty differentiated twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { OnnxGraphBuilder, Rng, Sequential, createOrtSession, tf, type Layer, type TfBackendName } from '@calozoo/core';
import { forEachBackend } from '@calozoo/core/testing';
import { ConvDataCritic, ConvDecoder, ConvEncoder, PUBLISHED_CONV_SIZES, type ConvSizes } from './conv-networks.js';
import type { Parts } from './networks.js';

const GRID = [30, 30, 30] as const;
const V = 27000;
const TINY: ConvSizes = { ngf: 2, ndf: 4, encoderHidden: [16], decoderHidden: [16] };

const part = (net: Parts, name: string): Layer => (net as unknown as { parts: Record<string, Layer> }).parts[name]!;
const seq = (net: Parts, name: string): Sequential => part(net, name) as Sequential;
/** Shapes after the convolutions, reshapes and Dense layers of `s` (norms and activations skipped). */
function shapes(s: Sequential, input: number[]): number[][] {
  const out: number[][] = [];
  let x = input;
  for (const l of s.layers) {
    x = l.outputShape(x);
    if (/Conv|Reshape|Dense/.test(l.constructor.name)) out.push(x);
  }
  return out;
}
const size = (l: Layer): number => Object.values(l.variables()).reduce((a, v) => a + v.size, 0);
const kinds = (s: Sequential): string[] => s.layers.map((l) => l.constructor.name);
const uniform = (rng: Rng, n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => scale * rng.uniform());
/**
 * PyTorch's ConvTranspose3d by its definition, y[o] = b + Σ x[i]·w[t] over o = s·i + t − p (outputs
 * beyond the uncropped size get the bias only), for x [d, h, w, C_in] (row-major) and a TF.js kernel
 * [k, k, k, C_out, C_in].
 */
function convTransposeRef(x: Float32Array, n: number, ci: number, w: Float32Array, bias: Float32Array, k: number, s: number, p: number, op: number): Float32Array {
  const co = bias.length;
  const out = (n - 1) * s - 2 * p + k + op;
  const y = Float32Array.from({ length: out ** 3 * co }, (_, j) => bias[j % co]!);
  for (let i0 = 0; i0 < n; i0++) for (let i1 = 0; i1 < n; i1++) for (let i2 = 0; i2 < n; i2++)
    for (let t0 = 0; t0 < k; t0++) for (let t1 = 0; t1 < k; t1++) for (let t2 = 0; t2 < k; t2++) {
      const o = [i0 * s + t0 - p, i1 * s + t1 - p, i2 * s + t2 - p];
      if (o.some((v) => v < 0 || v >= out)) continue;
      const yo = ((o[0]! * out + o[1]!) * out + o[2]!) * co;
      const xi = ((i0 * n + i1) * n + i2) * ci;
      const wt = ((t0 * k + t1) * k + t2) * co * ci;
      for (let b = 0; b < co; b++) for (let a = 0; a < ci; a++) y[yo + b] = y[yo + b]! + x[xi + a]! * w[wt + b * ci + a]!;
    }
  return y;
}
const allFinite = (a: ArrayLike<number>): boolean => Array.from(a).every(Number.isFinite);

describe('published sizes (§4.1), shape by shape', () => {
  const rng = new Rng(1);
  const enc = new ConvEncoder(GRID, 24, PUBLISHED_CONV_SIZES, rng);
  const dec = new ConvDecoder(GRID, 512, PUBLISHED_CONV_SIZES, rng);
  const critic = new ConvDataCritic(GRID, PUBLISHED_CONV_SIZES, rng);
  afterAll(() => [enc, dec, critic].forEach((n) => n.dispose()));

  it('encoder: 16³ × 8 → 9³ × 16 → 5³ × 32 → 5³ × 64, flatten 8000 ⊕ E → 8001→4000→768 → 24 (μ), 24 (log σ²)', () => {
    expect(shapes(seq(enc, 'conv'), [V])).toEqual([[30, 30, 30, 1], [16, 16, 16, 8], [9, 9, 9, 16], [5, 5, 5, 32], [5, 5, 5, 64], [8000]]);
    expect(kinds(seq(enc, 'conv'))).toEqual(['Reshape', ...Array(4).fill(['Conv3d', 'LayerNorm', 'Activation']).flat(), 'Reshape']);
    expect(shapes(seq(enc, 'fc'), [8001])).toEqual([[4000], [768]]);
    expect(part(enc, 'mu').outputShape([768])).toEqual([24]);
    expect(part(enc, 'logVar').outputShape([768])).toEqual([24]);
    // Conv3d 1→8 k4: 4³·1·8 kernel + 8 bias (the published conv has no bias: 512).
    expect(size(seq(enc, 'conv').layers[1]!)).toBe(4 * 4 * 4 * 8 + 8);
    expect(size(seq(enc, 'fc').layers[0]!)).toBe(8001 * 4000 + 4000);
    expect(size(part(enc, 'mu'))).toBe(768 * 24 + 24);
  });

  it('decoder: 513→768→4000→8000 → (10³, 8) → ConvT 30³ × 8 → ConvT 60³ × 16 → 30³ × 8 → 16 → 32 → 16 → 1 → 27000', () => {
    expect(shapes(seq(dec, 'net'), [513])).toEqual([
      [768], [4000], [8000], [10, 10, 10, 8],
      [30, 30, 30, 8], [60, 60, 60, 16], [30, 30, 30, 8], [30, 30, 30, 16], [30, 30, 30, 32], [30, 30, 30, 16], [30, 30, 30, 1],
      [27000],
    ]);
    expect(kinds(seq(dec, 'net'))).toEqual([
      'Dense', 'Dense', 'Dense', 'Reshape',
      ...Array(2).fill(['ConvTranspose3d', 'LayerNorm', 'Activation']).flat(),
      ...Array(4).fill(['Conv3d', 'LayerNorm', 'Activation']).flat(),
      'Conv3d', 'Reshape',
    ]);
    // Linear 513→768.
    expect(size(seq(dec, 'net').layers[0]!)).toBe(513 * 768 + 768);
  });

  it('critic: branch (a) 14³ → 6³ → 4³ × 128 → 8192 → 64, (b) the same, (c) 27000 → 64, (d) 1 → 64, head 256→256→256→256→1', () => {
    for (const b of ['direct', 'log']) {
      expect(shapes(seq(critic, b), [V])).toEqual([[30, 30, 30, 1], [14, 14, 14, 128], [6, 6, 6, 128], [4, 4, 4, 128], [8192], [64]]);
      expect(kinds(seq(critic, b))).toEqual(['Reshape', 'Conv3d', 'LayerNorm', 'Activation', 'Conv3d', 'LayerNorm', 'Activation', 'Conv3d', 'Activation', 'Reshape', 'Dense']);
    }
    expect(part(critic, 'diff').outputShape([V])).toEqual([64]);
    expect(part(critic, 'energy').outputShape([1])).toEqual([64]);
    expect(shapes(seq(critic, 'head'), [256])).toEqual([[256], [256], [256], [1]]);
    expect(size(seq(critic, 'direct').layers[1]!)).toBe(27 * 128 + 128);
    // Each branch's own weights.
    expect(critic.variables()['direct.conv0.kernel']).not.toBe(critic.variables()['log.conv0.kernel']);
  });
});

describe('sizes are checked', () => {
  it('a decoder grid not divisible by 3 and non-integer sizes are refused', () => {
    expect(() => new ConvDecoder([30, 30, 29], 4, TINY, new Rng(1))).toThrow(/multiple of 3/);
    expect(() => new ConvEncoder(GRID, 2, { ...TINY, ngf: 1.5 }, new Rng(1))).toThrow(/integers/);
  });
});

await forEachBackend((backend: TfBackendName) => {
  describe(`tiny networks (ngf 2, ndf 4, hidden [16]) on ${backend}`, () => {
    const rng = new Rng(7);
    const active = 3;
    const latent = 5;
    const enc = new ConvEncoder(GRID, active, TINY, rng);
    const dec = new ConvDecoder(GRID, latent, TINY, rng);
    const critic = new ConvDataCritic(GRID, TINY, rng);
    afterAll(() => [enc, dec, critic].forEach((n) => n.dispose()));
    const n = 3;
    const x = uniform(new Rng(2), n * V, 5);
    const e = Float32Array.of(10, 50, 90);

    it('encoder and decoder: finite outputs of the right shapes, decoder output ≥ 0 and not all 0', () => {
      tf.tidy(() => {
        const c = tf.tensor2d(e, [n, 1]);
        const { mu, logVar } = enc.apply(tf.tensor2d(x, [n, V]), c);
        expect(mu.shape).toEqual([n, active]);
        expect(logVar.shape).toEqual([n, active]);
        expect(allFinite(mu.dataSync()) && allFinite(logVar.dataSync())).toBe(true);
        const y = dec.apply(tf.randomNormal([n, latent], 0, 1, 'float32', 3) as tf.Tensor2D, c).dataSync() as Float32Array;
        expect(y.length).toBe(n * V);
        expect(allFinite(y)).toBe(true);
        expect(y.reduce((lo, v) => Math.min(lo, v), Infinity)).toBeGreaterThanOrEqual(0);
        expect(y.some((v) => v > 0)).toBe(true);
      });
    });

    it('critic: finite scores [n, 1]; row 0 does not change when row 1 changes, row 1 does', () => {
      tf.tidy(() => {
        const c = tf.tensor2d(e, [n, 1]);
        const y = uniform(new Rng(4), n * V, 5);
        const a = critic.apply(tf.tensor2d(x, [n, V]), tf.tensor2d(y, [n, V]), c).dataSync();
        expect(a.length).toBe(n);
        expect(allFinite(a)).toBe(true);
        const x2 = x.slice();
        const y2 = y.slice();
        for (let j = V; j < 2 * V; j++) {
          x2[j] = 3 * x2[j]!;
          y2[j] = 0.5 * y2[j]! + 1;
        }
        const e2 = Float32Array.of(10, 20, 90);
        const b = critic.apply(tf.tensor2d(x2, [n, V]), tf.tensor2d(y2, [n, V]), tf.tensor2d(e2, [n, 1])).dataSync();
        expect(Math.abs(b[0]! - a[0]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(a[0]!)));
        expect(Math.abs(b[2]! - a[2]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(a[2]!)));
        expect(Math.abs(b[1]! - a[1]!)).toBeGreaterThan(1e-4);
      });
    });

    it('decoder: its transposed convolutions (k3 s3 p1 op2, k3 s2 p1 op1) compute PyTorch\'s definition', () => {
      const layers = seq(dec, 'net').layers;
      const ups = layers.filter((l) => l.constructor.name.includes('ConvTranspose3d'));
      expect(ups).toHaveLength(2);
      for (const [l, s, op] of [[ups[0]!, 3, 2], [ups[1]!, 2, 1]] as const) {
        const { kernel, bias } = l.variables() as Record<string, tf.Variable>;
        const [, , , co, ci] = kernel!.shape as number[];
        const m = 3;
        const xin = uniform(new Rng(8), m ** 3 * ci!, 2);
        const got = tf.tidy(() => l.apply(tf.tensor(xin, [1, m, m, m, ci!])).dataSync() as Float32Array);
        const ref = convTransposeRef(xin, m, ci!, kernel!.dataSync() as Float32Array, bias!.dataSync() as Float32Array, 3, s, 1, op);
        expect(got.length).toBe(ref.length);
        expect(got.length).toBe((m * s) ** 3 * co!);
        expect(got.reduce((hi, v, i) => Math.max(hi, Math.abs(v - ref[i]!)), 0)).toBeLessThan(1e-5);
      }
    });

    it('decoder: TF.js and its ONNX graph on ONNX Runtime give the same showers', async () => {
      const m = 2;
      const z = Float32Array.from({ length: m * latent }, (_, i) => Math.sin(i + 1));
      const c = Float32Array.of(10, 90);
      const a = tf.tidy(() => dec.apply(tf.tensor2d(z, [m, latent]), tf.tensor2d(c, [m, 1])).dataSync() as Float32Array);
      expect(a.length).toBe(m * V);
      expect(a.filter((v) => v > 0).length).toBeGreaterThan(m * V / 10);
      const g = new OnnxGraphBuilder({ opset: 17 });
      g.output(dec.toOnnx(g, g.input('z', 'float32', [null, latent]), g.input('e', 'float32', [null, 1])), 'x');
      const s = await createOrtSession(g.toBytes(), { threads: 1 });
      const b = (await s.run({ z: { data: z, dims: [m, latent] }, e: { data: c, dims: [m, 1] } }))['x']!.data as Float32Array;
      await s.dispose();
      expect(b.length).toBe(m * V);
      const scale = a.reduce((hi, v) => Math.max(hi, v), 0);
      // Float32 rounding only (a layout error is O(1)): the cpu backend agrees to ~2e-5; native
      // TensorFlow's LayerNorm statistics over the 60³ = 216 000 values of a channel are good to
      // ~1e-4 of the scale (measured 1.5e-4 at the output), hence 5e-4 on the largest difference
      // and 5e-5 on the mean one.
      const diff = Array.from(a, (v, i) => Math.abs(v - b[i]!));
      expect(diff.reduce((hi, v) => Math.max(hi, v), 0) / scale).toBeLessThan(5e-4);
      expect(diff.reduce((sum, v) => sum + v, 0) / diff.length / scale).toBeLessThan(5e-5);
    });

    it('critic: the gradient penalty differentiates twice (finite, non-zero weight gradients)', () => {
      const vars = critic.variables();
      // (Not energy.kernel: ∇_y D is piecewise constant in the energy branch's output, so its
      // penalty gradient is 0; the conv branches' LayerNorms make theirs non-zero.)
      const names = ['direct.conv0.kernel', 'log.conv1.kernel', 'direct.fc.kernel', 'diff.kernel', 'head.fc0.kernel'];
      const m = 2;
      const ref = tf.tensor2d(uniform(new Rng(5), m * V, 5), [m, V]);
      const cand = tf.tensor2d(uniform(new Rng(6), m * V, 5), [m, V]);
      const c = tf.tensor2d(Float32Array.of(20, 70), [m, 1]);
      const penalty = (): tf.Scalar => {
        const g = tf.grad((y: tf.Tensor) => tf.sum(critic.apply(ref, y as tf.Tensor2D, c)))(cand);
        return tf.mean(tf.square(tf.sub(tf.sqrt(tf.add(tf.sum(tf.square(g), 1), 1e-12)), 1)));
      };
      const { value, grads } = tf.variableGrads(penalty, names.map((k) => vars[k]!));
      expect(Number.isFinite(value.dataSync()[0]!)).toBe(true);
      for (const k of names) {
        const d = grads[vars[k]!.name]!.dataSync() as Float32Array;
        expect(allFinite(d), k).toBe(true);
        expect(d.reduce((hi, v) => Math.max(hi, Math.abs(v)), 0), k).toBeGreaterThan(0);
      }
      tf.dispose([ref, cand, c, value, ...Object.values(grads)]);
    });
  });
}, { backends: [tf.getBackend() as TfBackendName], requires: ['conv3d'] });
