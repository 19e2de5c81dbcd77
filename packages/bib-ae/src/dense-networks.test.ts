/**
 * Two options of the dense networks: the decoder's straight-through output ReLU (same showers,
 * a gradient for cells at 0) and the post-processor's `keepZeros` (a cell the decoder left at 0
 * stays 0; the others as without it, computed on the hit cells only with the same gradients).
 */
import { describe, expect, it } from 'vitest';
import { OnnxGraphBuilder, Rng, createOrtSession, getGeometry, tf } from '@calozoo/core';
import { bibAeDefaults } from './config.js';
import { DenseDecoder, PostProcessor } from './dense-networks.js';
import { maxNetworkBatch } from './model.js';

describe('DenseDecoder', () => {
  it('straight-through: the same values as the ReLU decoder, and a gradient for the cells at 0', () => {
    const plain = new DenseDecoder(4, 30, [16], new Rng(1));
    const st = new DenseDecoder(4, 30, [16], new Rng(1), true);
    const z = tf.tensor2d(new Rng(2).fillNormal(new Float32Array(8 * 4)) as Float32Array, [8, 4]);
    const c = tf.zeros([8, 1]) as tf.Tensor2D;
    const a = plain.apply(z, c);
    const b = st.apply(z, c);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    const zeros = Array.from(a.dataSync()).filter((v) => v === 0).length;
    expect(zeros).toBeGreaterThan(0);
    // d Σ out / d bias of the output layer: per cell, the rows where it is > 0 (ReLU) or every row (straight-through).
    const bias = (d: DenseDecoder) => Object.entries(d.variables()).find(([k]) => /fc1\.bias$/.test(k))![1];
    const grad = (d: DenseDecoder) => Array.from(tf.variableGrads(() => tf.sum(d.apply(z, c)) as tf.Scalar, [bias(d)]).grads[bias(d).name]!.dataSync());
    const gPlain = grad(plain);
    const gSt = grad(st);
    expect(gSt.every((v) => v === 8)).toBe(true);
    expect(gPlain.some((v) => v < 8)).toBe(true);
    tf.dispose([z, c, a, b]);
    plain.dispose();
    st.dispose();
  });
});

describe('PostProcessor', () => {
  it('keepZeros: cells at 0 stay 0, the others are unchanged', () => {
    const off = new PostProcessor(8, 8, 1, new Rng(3));
    const on = new PostProcessor(8, 8, 1, new Rng(3), { keepZeros: true });
    const x = tf.tensor2d([[0, 0.3, 0, 1.2, 0.01], [0.5, 0, 0, 0, 2]]);
    const sum = tf.tensor2d([[0.9], [0.2]]);
    const c = tf.tensor2d([[0.1], [-0.4]]);
    const a = off.apply(x, sum, c).arraySync();
    const b = on.apply(x, sum, c).arraySync();
    const xs = x.arraySync();
    xs.forEach((row, i) => row.forEach((v, j) => (v === 0 ? expect(b[i]![j]).toBe(0) : expect(b[i]![j]).toBeCloseTo(a[i]![j]!, 6))));
    // Without keepZeros the network's output on a 0 input is one value per shower, not necessarily 0.
    expect(a.some((row, i) => row.some((v, j) => xs[i]![j] === 0 && v > 0))).toBe(true);
    tf.dispose([x, sum, c]);
    off.dispose();
    on.dispose();
  });

  it('keepZeros: the hit cells alone give the gradients of the full grid, and an empty batch gives zeros', () => {
    const off = new PostProcessor(6, 4, 2, new Rng(5));
    const on = new PostProcessor(6, 4, 2, new Rng(5), { keepZeros: true });
    const rng = new Rng(6);
    const raw = rng.fillUniform(new Float32Array(3 * 40)) as Float32Array;
    const x = tf.tensor2d(raw.map((v) => (v < 0.7 ? 0 : v)), [3, 40]);
    const mask = tf.cast(tf.greater(x, 0), 'float32');
    const sum = tf.tensor2d([[0.9], [0.2], [1.4]]);
    const c = tf.tensor2d([[0.1], [-0.4], [0.7]]);
    const target = tf.tensor2d(rng.fillUniform(new Float32Array(3 * 40)) as Float32Array, [3, 40]);
    // The same loss through the full grid masked by hand, and through the gathered hit cells.
    const lossOff = () => tf.sum(tf.square(tf.sub(tf.mul(off.apply(x, sum, c), mask), target))) as tf.Scalar;
    const lossOn = () => tf.sum(tf.square(tf.sub(on.apply(x, sum, c), target))) as tf.Scalar;
    const gOff = tf.variableGrads(lossOff, Object.values(off.variables()));
    const gOn = tf.variableGrads(lossOn, Object.values(on.variables()));
    expect(gOn.value.dataSync()[0]).toBeCloseTo(gOff.value.dataSync()[0]!, 4);
    const names = Object.keys(off.variables());
    expect(names.length).toBeGreaterThan(10);
    names.forEach((k) => {
      const a = gOff.grads[off.variables()[k]!.name]!.dataSync();
      const b = gOn.grads[on.variables()[k]!.name]!.dataSync();
      const scale = Math.max(1e-6, ...Array.from(a, Math.abs));
      a.forEach((v, i) => expect(Math.abs(b[i]! - v) / scale).toBeLessThan(1e-4));
    });
    const empty = on.apply(tf.zeros([2, 40]) as tf.Tensor2D, tf.tensor2d([[0], [0]]), tf.tensor2d([[0], [0]]));
    expect(empty.shape).toEqual([2, 40]);
    expect(Array.from(empty.dataSync()).every((v) => v === 0)).toBe(true);
    tf.dispose([x, mask, sum, c, target, empty, gOff.value, gOn.value, ...Object.values(gOff.grads), ...Object.values(gOn.grads)]);
    off.dispose();
    on.dispose();
  });
});

describe('PostProcessor residual form', () => {
  it('starts at the identity on values ≥ 0 (in MeV too), and its correction trains', () => {
    const pp = new PostProcessor(8, 8, 2, new Rng(4), { keepZeros: true, residual: true });
    const values = [0, 0.15, 0, 3.2, 250, 0.02, 0, 41];
    const x = tf.tensor2d(values, [2, 4]);
    const sum = tf.tensor2d([[0.9], [0.2]]);
    const c = tf.tensor2d([[10], [80]]);
    const before = Array.from(pp.apply(x, sum, c).dataSync());
    before.forEach((v, i) => expect(v).toBeCloseTo(values[i]!, 5));
    // One gradient step towards halving every value moves the output of the hit cells, and only theirs.
    const target = tf.mul(x, 0.5);
    const vars = Object.values(pp.variables());
    const loss = () => tf.mean(tf.square(tf.sub(pp.apply(x, sum, c), target))) as tf.Scalar;
    const opt = tf.train.adam(1e-2);
    for (let i = 0; i < 20; i++) opt.minimize(loss, false, vars);
    const after = Array.from(pp.apply(x, sum, c).dataSync());
    const error = (out: number[]) => out.reduce((a, v, i) => a + (v - values[i]! / 2) ** 2, 0);
    expect(error(after)).toBeLessThan(0.9 * error(before));
    after.forEach((v, i) => { if (values[i] === 0) expect(v).toBe(0); });
    tf.dispose([x, sum, c, target]);
    opt.dispose();
    pp.dispose();
  });
});

describe('PostProcessor ONNX', () => {
  it('the ONNX graph on ONNX Runtime gives the TF.js values, with keepZeros on the hit cells alone', async () => {
    const V = 40;
    const rng = new Rng(8);
    const x = (rng.fillUniform(new Float32Array(3 * V)) as Float32Array).map((v) => (v < 0.6 ? 0 : v));
    const sum = Float32Array.of(0.9, 0.2, 1.4);
    const c = Float32Array.of(0.1, -0.4, 0.7);
    for (const [keepZeros, residual] of [[false, false], [true, false], [false, true], [true, true]] as const) {
      const pp = new PostProcessor(6, 4, 2, new Rng(9), { keepZeros, residual });
      // A residual post-processor starts at the identity: perturb its zero last layer so that the comparison tests Δ.
      if (residual) for (const [k, v] of Object.entries(pp.variables())) if (k.startsWith('out')) v.assign(tf.randomUniform(v.shape, -0.3, 0.3, 'float32', 4));
      const a = tf.tidy(() => pp.apply(tf.tensor2d(x, [3, V]), tf.tensor2d(sum, [3, 1]), tf.tensor2d(c, [3, 1])).dataSync() as Float32Array);
      const g = new OnnxGraphBuilder({ opset: 17 });
      g.output(pp.toOnnx(g, g.input('x', 'float32', [null, V]), g.input('s', 'float32', [null, 1]), g.input('c', 'float32', [null, 1])), 'y');
      const session = await createOrtSession(g.toBytes(), { threads: 1 });
      const run = async (m: number) => (await session.run({ x: { data: x.subarray(0, m * V), dims: [m, V] }, s: { data: sum.subarray(0, m), dims: [m, 1] }, c: { data: c.subarray(0, m), dims: [m, 1] } }))['y']!;
      const b = await run(3);
      expect(b.dims).toEqual([3, V]);
      const y = b.data as Float32Array;
      const scale = Math.max(...Array.from(a, Math.abs));
      expect(scale).toBeGreaterThan(0);
      a.forEach((v, i) => expect(Math.abs(y[i]! - v) / scale, `keepZeros ${keepZeros} residual ${residual} cell ${i}`).toBeLessThan(1e-5));
      if (residual) expect(a.some((v, i) => Math.abs(v - x[i]!) > 1e-3), 'Δ is not 0').toBe(true);
      if (keepZeros) {
        x.forEach((v, i) => { if (v === 0) expect(y[i]).toBe(0); });
        // A batch without a single hit cell: all zeros, the right shape.
        const none = await session.run({ x: { data: new Float32Array(V), dims: [1, V] }, s: { data: sum.subarray(0, 1), dims: [1, 1] }, c: { data: c.subarray(0, 1), dims: [1, 1] } });
        expect(none['y']!.dims).toEqual([1, V]);
        expect(Array.from(none['y']!.data as Float32Array).every((v) => v === 0)).toBe(true);
      }
      await session.dispose();
      pp.dispose();
    }
  });
});

describe('maxNetworkBatch', () => {
  it('caps a dense call at 2^27 cell channels of the post-processor, a conv call at 128', () => {
    const dense = bibAeDefaults(getGeometry('ds1-photons'));
    expect(dense.architecture).toBe('dense');
    expect(maxNetworkBatch(dense, 368)).toBe(Math.floor(2 ** 27 / (368 * 64)));
    expect(maxNetworkBatch(dense, 27_000)).toBe(77);
    expect(maxNetworkBatch({ ...dense, postProcessor: { ...dense.postProcessor, enabled: false } }, 27_000)).toBe(Infinity);
    expect(maxNetworkBatch({ ...dense, architecture: 'conv' }, 27_000)).toBe(128);
  });
});
