/**
 * The validation score's pieces against hand calculations: separation power (field-reference.md
 * §2.3) of identical, disjoint and half-overlapping samples, and the per-shower features; and the
 * dense variant's representation (exact round trip, the same numbers in TF.js and ONNX Runtime).
 */
import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder, createOrtSession, getGeometry, tf } from '../index.js';
import { LOG_DELTA, fitFractionScale, representationFor, thresholdValues, withReadout, type Representation } from '../preprocessing/representation.js';
import { readoutThreshold, responsePerEnergy, separationPower, showerFeatures, validationScore, voxelLayers } from './validation-score.js';

/** Decodes one row of five network values at E_inc = 10 MeV through the representation's ONNX graph. */
async function decodeOnnx(r: Representation, x: Float32Array): Promise<Float32Array> {
  const g = new OnnxGraphBuilder({ opset: 17 });
  g.output(r.decodeOnnx(g, g.input('x', 'float32', [null, 5]), g.input('e', 'float32', [null, 1])), 'y');
  const s = await createOrtSession(g.toBytes(), { threads: 1 });
  try {
    return (await s.run({ x: { data: x, dims: [1, 5] }, e: { data: Float32Array.of(10), dims: [1, 1] } }))['y']!.data as Float32Array;
  } finally {
    await s.dispose();
  }
}

describe('separation power', () => {
  it('is 0 for the same sample, 1 for disjoint ones, 1/3 for a half overlap', () => {
    const a = Float64Array.from({ length: 300 }, (_, i) => i / 300);
    expect(separationPower(a, a)).toBe(0);
    // All generated values beyond the reference range fall into the last bin, which holds 10 of 300 reference values.
    const far = new Float64Array(300).fill(5);
    expect(separationPower(a, far)).toBeCloseTo(0.5 * (29 * (1 / 30) + (1 - 1 / 30) ** 2 / (1 + 1 / 30)), 10);
    // Reference uniform on 30 bins; generated: all in the first 15 bins, twice as dense.
    // ½ [15 · (1/30 − 2/30)² / (3/30) + 15 · (1/30)² / (1/30)] = ½ [15/90 + 15/30] = 1/3.
    const half = Float64Array.from({ length: 300 }, (_, i) => (i % 150) / 300);
    expect(separationPower(a, half)).toBeCloseTo(1 / 3, 10);
  });

  it('per-shower features: E_dep/E_inc, energy-weighted mean layer, fraction of cells hit', () => {
    const g = getGeometry('grid-2x2x2');
    const layers = voxelLayers(g);
    expect(Array.from(layers)).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    const f = showerFeatures(Float32Array.of(1, 0, 0, 2, 3, 0, -1, 0), Float32Array.of(10), layers);
    expect(f.response[0]).toBeCloseTo(0.6, 12);
    expect(f.centre[0]).toBeCloseTo(3 / 6, 12);
    expect(f.sparsity[0]).toBe(3 / 8);
    // With a hit threshold of 1.5 MeV only the cells with 2 and 3 MeV count as hit; the sums are unchanged.
    const t = showerFeatures(Float32Array.of(1, 0, 0, 2, 3, 0, -1, 0), Float32Array.of(10), layers, 1.5);
    expect(t.sparsity[0]).toBe(2 / 8);
    expect(t.response[0]).toBeCloseTo(0.6, 12);
    expect(Array.from(t.energy)).toEqual([10]);
  });

  it('readout threshold: the smallest positive deposit of the given rows', () => {
    const values = Float32Array.of(0, 0.7, 3, 0.2, 0, 5, 0, 0, 0);
    expect(readoutThreshold(values, 3, [0])).toBeCloseTo(0.7, 6);
    expect(readoutThreshold(values, 3, [0, 1])).toBeCloseTo(0.2, 6);
    expect(readoutThreshold(values, 3, [2])).toBe(0);
  });

  it('response per energy group sees a per-energy swap the all-energy histogram misses', () => {
    // Two energies, 100 showers each; the reference's responses are 0.5 (low E) and 0.9 (high E),
    // the generated ones swapped: the same all-energy histogram, disjoint within each energy.
    const n = 200;
    const layers = Int32Array.of(0);
    const energy = Float32Array.from({ length: n }, (_, i) => (i < 100 ? 1000 : 100000));
    const rv = Float32Array.from(energy, (e, i) => e * ((e < 5000 ? 0.5 : 0.9) + 0.001 * (i % 10)));
    const gv = Float32Array.from(energy, (e, i) => e * ((e < 5000 ? 0.9 : 0.5) + 0.001 * (i % 10)));
    const ref = showerFeatures(rv, energy, layers);
    const gen = showerFeatures(gv, energy, layers);
    expect(separationPower(ref.response, gen.response)).toBeCloseTo(0, 10);
    // Within each energy every generated value lies beyond the reference range, in the edge bin
    // that holds 1/10 of the reference: ½ (9/10 + (1 − 1/10)² / (1 + 1/10)).
    const apart = 0.5 * (0.9 + 0.81 / 1.1);
    expect(responsePerEnergy(ref, gen, 2)).toBeCloseTo(apart, 6);
    expect(responsePerEnergy(ref, ref, 2)).toBe(0);
    const plain = validationScore(ref, gen);
    const grouped = validationScore(ref, gen, 2);
    expect(plain.responsePerEnergy).toBeUndefined();
    expect(grouped.responsePerEnergy).toBeCloseTo(apart, 6);
    expect(grouped.score).toBeCloseTo((plain.response + apart + plain.centre + plain.sparsity) / 4, 6);
  });
});

describe('log-fraction representation (dense variant)', () => {
  it('encodes u = E/E_inc into [0, 1] and decodes it back, the same in TF.js and ONNX Runtime', async () => {
    const r = representationFor({ architecture: 'dense', dense: { representation: 'log-fraction' } });
    const values = Float32Array.of(0, 1e-3, 0.5, 20, 1000, -2);
    const e = 1000;
    const x = new Float32Array(values.length);
    r.encode(values, e, x);
    expect(x[0]).toBe(0);
    expect(x[4]).toBeCloseTo(1, 6);
    expect(x[5]).toBe(0);
    expect(x[1]).toBeCloseTo(Math.log1p(1e-6 / LOG_DELTA) / Math.log1p(1 / LOG_DELTA), 6);
    const back = tf.tidy(() => r.decode(tf.tensor2d(x, [1, 6]), tf.tensor2d([e], [1, 1])).dataSync());
    const expected = [0, 1e-3, 0.5, 20, 1000, 0];
    back.forEach((v, i) => expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-4 * Math.max(1, expected[i]!)));
    const g = new OnnxGraphBuilder({ opset: 17 });
    g.output(r.decodeOnnx(g, g.input('x', 'float32', [null, 6]), g.input('e', 'float32', [null, 1])), 'y');
    const s = await createOrtSession(g.toBytes(), { threads: 1 });
    const y = (await s.run({ x: { data: x, dims: [1, 6] }, e: { data: Float32Array.of(e), dims: [1, 1] } }))['y']!.data as Float32Array;
    await s.dispose();
    y.forEach((v, i) => expect(Math.abs(v - back[i]!)).toBeLessThan(1e-4 * Math.max(1, back[i]!)));
    const c = r.condition(Float32Array.of(1000, 1e6));
    expect(c[0]).toBeCloseTo(-0.75, 6);
    expect(c[1]).toBeCloseTo(0.75, 6);
  });

  it('fraction: x = (E_voxel / E_inc) / u_max with u_max from the training rows only; the inverse on both runtimes', async () => {
    // Two showers of 3 voxels: E_inc 10 and 100; row 1 (u_max 0.5) is the only training row.
    const values = Float32Array.of(9, 0, 1, 50, 20, -1);
    const energy = Float32Array.of(10, 100);
    const scale = fitFractionScale(values, energy, 3, Uint32Array.of(1));
    expect(scale).toBe(2);
    const r = representationFor({ architecture: 'dense', dense: { representation: 'fraction' } }, scale);
    const x = new Float32Array(6);
    r.encode(values.subarray(0, 3), 10, x.subarray(0, 3));
    r.encode(values.subarray(3), 100, x.subarray(3));
    expect(Array.from(x)).toEqual([1.8, 0, 0.2, 1, 0.4, 0].map(Math.fround));
    const back = tf.tidy(() => r.decode(tf.tensor2d(x, [2, 3]), tf.tensor2d([10, 100], [2, 1])).dataSync());
    [9, 0, 1, 50, 20, 0].forEach((v, i) => expect(back[i]).toBeCloseTo(v, 4));
    const g = new OnnxGraphBuilder({ opset: 17 });
    g.output(r.decodeOnnx(g, g.input('x', 'float32', [null, 3]), g.input('e', 'float32', [null, 1])), 'y');
    const s = await createOrtSession(g.toBytes(), { threads: 1 });
    const y = (await s.run({ x: { data: x, dims: [2, 3] }, e: { data: Float32Array.of(10, 100), dims: [2, 1] } }))['y']!.data as Float32Array;
    await s.dispose();
    expect(Array.from(y)).toEqual(Array.from(back));
    expect(r.constants).toMatchObject({ representation: 'fraction', scale: 2 });
    // sqrt-fraction: x = √(u·scale), decoded by squaring.
    const q = representationFor({ architecture: 'dense', dense: { representation: 'sqrt-fraction' } }, scale);
    const xs = new Float32Array(3);
    q.encode(values.subarray(0, 3), 10, xs);
    expect(Array.from(xs)).toEqual([Math.sqrt(1.8), 0, Math.sqrt(0.2)].map(Math.fround));
    const back2 = tf.tidy(() => q.decode(tf.tensor2d(xs, [1, 3]), tf.tensor2d([10], [1, 1])).dataSync());
    [9, 0, 1].forEach((v, i) => expect(back2[i]).toBeCloseTo(v, 4));
  });

  it('root-fraction: x = (u·scale)^(1/k), decoded by k − 1 multiplications, the same bytes on both runtimes; k = 2 is sqrt-fraction', async () => {
    const values = Float32Array.of(9, 0, 1, 1e-5, 5);
    const r = representationFor({ architecture: 'dense', dense: { representation: 'root-fraction', root: 4 } }, 2);
    const x = new Float32Array(5);
    r.encode(values, 10, x);
    expect(Array.from(x)).toEqual([1.8, 0, 0.2, 2e-6, 1].map((u) => Math.fround(Math.pow(u, 0.25))));
    // A deposit of 10⁻⁶ of E_inc sits at x ≈ 0.038 where √ puts it at 0.0014.
    expect(x[3]).toBeGreaterThan(0.03);
    const back = tf.tidy(() => r.decode(tf.tensor2d(x, [1, 5]), tf.tensor2d([10], [1, 1])).dataSync());
    [9, 0, 1, 1e-5, 5].forEach((v, i) => expect(Math.abs(back[i]! - v)).toBeLessThan(1e-5 * Math.max(1, v)));
    const u = tf.tidy(() => r.fractionTf!(tf.tensor2d(x, [1, 5])).dataSync());
    [0.9, 0, 0.1, 1e-6, 0.5].forEach((v, i) => expect(u[i]).toBeCloseTo(v, 6));
    expect(Array.from(await decodeOnnx(r, x))).toEqual(Array.from(back));
    expect(r.constants).toMatchObject({ representation: 'root-fraction', scale: 2, root: 4 });
    const two = representationFor({ architecture: 'dense', dense: { representation: 'root-fraction', root: 2 } }, 2);
    const sq = representationFor({ architecture: 'dense', dense: { representation: 'sqrt-fraction' } }, 2);
    const a = new Float32Array(5);
    const b = new Float32Array(5);
    two.encode(values, 10, a);
    sq.encode(values, 10, b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('readout threshold: decoded deposits below it are 0 on both runtimes, its network value per energy sits on the boundary', async () => {
    const base = representationFor({ architecture: 'dense', dense: { representation: 'sqrt-fraction' } }, 2);
    const r = withReadout(base, 0.5);
    expect(withReadout(base, 0)).toBe(base);
    expect(r.constants).toMatchObject({ representation: 'sqrt-fraction', scale: 2, threshold: 0.5 });
    const values = Float32Array.of(0.2, 0.49, 0.51, 3, 0);
    const x = new Float32Array(5);
    r.encode(values, 10, x);
    const back = tf.tidy(() => r.decode(tf.tensor2d(x, [1, 5]), tf.tensor2d([10], [1, 1])).dataSync());
    expect(back[0]).toBe(0);
    expect(back[1]).toBe(0);
    expect(back[2]).toBeCloseTo(0.51, 5);
    expect(back[3]).toBeCloseTo(3, 5);
    expect(Array.from(await decodeOnnx(r, x))).toEqual(Array.from(back));
    // 0.5 MeV at E_inc 10 MeV and 1000 MeV: x = √(0.05·2) and √(0.0005·2).
    const t = thresholdValues(r, 0.5, [10, 1000]);
    expect(t[0]).toBeCloseTo(Math.sqrt(0.1), 6);
    expect(t[1]).toBeCloseTo(Math.sqrt(0.001), 6);
  });
});
