/**
 * The validation score's pieces against hand calculations: separation power (field-reference.md
 * §2.3) of identical, disjoint and half-overlapping samples, and the per-shower features; and the
 * dense variant's representation (exact round trip, the same numbers in TF.js and ONNX Runtime).
 */
import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder, createOrtSession, getGeometry, tf } from '@calozoo/core';
import { LOG_DELTA, fitFractionScale, representationFor } from './representation.js';
import { separationPower, showerFeatures, voxelLayers } from './validation.js';

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
});
