/**
 * Two options of the dense networks: the decoder's straight-through output ReLU (same showers,
 * a gradient for cells at 0) and the post-processor's `keepZeros` (a cell the decoder left at 0
 * stays 0; the others as without it).
 */
import { describe, expect, it } from 'vitest';
import { Rng, tf } from '@calozoo/core';
import { DenseDecoder, PostProcessor } from './dense-networks.js';

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
    const on = new PostProcessor(8, 8, 1, new Rng(3), true);
    const x = tf.tensor2d([[0, 0.3, 0, 1.2, 0.01], [0.5, 0, 0, 0, 2]]);
    const sum = tf.tensor2d([[0.9], [0.2]]);
    const c = tf.tensor2d([[0.1], [-0.4]]);
    const a = off.apply(x, sum, c).arraySync();
    const b = on.apply(x, sum, c).arraySync();
    const xs = x.arraySync();
    xs.forEach((row, i) => row.forEach((v, j) => expect(b[i]![j]).toBe(v === 0 ? 0 : a[i]![j])));
    // Without keepZeros the network's output on a 0 input is one value per shower, not necessarily 0.
    expect(a.some((row, i) => row.some((v, j) => xs[i]![j] === 0 && v > 0))).toBe(true);
    tf.dispose([x, sum, c]);
    off.dispose();
    on.dispose();
  });
});
