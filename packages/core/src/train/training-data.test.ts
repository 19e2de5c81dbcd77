/**
 * The readout threshold of generated values in training (`applyReadout`): the forward values, and
 * the gradient under both rules (`kept`: zeroed cells get none; `straight-through`: every cell
 * gets the gradient of the unthresholded values); reading the training showers in blocks.
 */
import { describe, expect, it } from 'vitest';
import { tf } from '../device/tf.js';
import { representationFor, withReadout } from '../preprocessing/representation.js';
import { applyReadout, readInBlocks, straightThroughRelu, type TrainingData } from './training-data.js';

// The conv (MeV) representation with a 0.5 MeV readout: network values are MeV, so the threshold is 0.5 for every row.
const repr = withReadout(representationFor({ architecture: 'conv', dense: { representation: 'fraction' } }), 0.5);
const data = { repr, energy: Float32Array.of(1000, 2000) } as unknown as TrainingData;
const values = [[0.2, 0.6, 0, 1.0], [0.5, 0.49, 3, 0.3]];
const weights = tf.tensor2d([[1, 2, 3, 4], [5, 6, 7, 8]]);

describe('applyReadout', () => {
  it.each(['kept', 'straight-through'] as const)('zeroes the cells below the threshold (%s)', (rule) => {
    const out = tf.tidy(() => applyReadout(data, [0, 1], tf.tensor2d(values), rule).arraySync());
    expect(out).toEqual([[0, expect.closeTo(0.6, 6), 0, 1], [0.5, 0, 3, 0]]);
  });

  it('kept: only the kept cells pass the gradient', () => {
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(applyReadout(data, [0, 1], x as tf.Tensor2D), weights)))(tf.tensor2d(values)).arraySync());
    expect(g).toEqual([[0, 2, 0, 4], [5, 0, 7, 0]]);
  });

  it('straight-through: every cell passes the gradient', () => {
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(applyReadout(data, [0, 1], x as tf.Tensor2D, 'straight-through'), weights)))(tf.tensor2d(values)).arraySync());
    expect(g).toEqual([[1, 2, 3, 4], [5, 6, 7, 8]]);
  });

  it('without a threshold returns the values unchanged', () => {
    const plain = { ...data, repr: representationFor({ architecture: 'conv', dense: { representation: 'fraction' } }) } as TrainingData;
    const x = tf.tensor2d(values);
    expect(applyReadout(plain, [0, 1], x, 'straight-through')).toBe(x);
    x.dispose();
  });
});

describe('straightThroughRelu', () => {
  it('is max(x, 0) forward and passes the gradient unchanged, negative inputs included (a plain ReLU passes none there)', () => {
    const x = tf.tensor2d([[-2, -0.5, 0.5, 3]]);
    const w = tf.tensor2d([[1, 2, 3, 4]]);
    expect(Array.from(straightThroughRelu(x).dataSync())).toEqual([0, 0, 0.5, 3]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(straightThroughRelu(t), w)))(x);
    expect(Array.from(g.dataSync())).toEqual([1, 2, 3, 4]);
    const plain = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), w)))(x);
    expect(Array.from(plain.dataSync())).toEqual([0, 0, 3, 4]);
    tf.dispose([x, w, g, plain]);
  });
});

describe('readInBlocks', () => {
  it('reads n showers in blocks of at most blockBytes and returns the same arrays as one read, conditions included', async () => {
    const V = 5;
    const N = 23;
    const all = { n: N, voxels: V, energy: Float32Array.from({ length: N }, (_, i) => 100 + i), values: Float32Array.from({ length: N * V }, (_, i) => i * 0.5), theta: Float32Array.from({ length: N }, (_, i) => i / 100) };
    const reads: number[] = [];
    const source = {
      n: N,
      voxels: V,
      readRange: (a: number, b: number) => {
        reads.push(b - a);
        return { n: b - a, voxels: V, energy: all.energy.slice(a, b), values: all.values.slice(a * V, b * V), theta: all.theta.slice(a, b) };
      },
    };
    // 3 showers × 5 voxels × 4 bytes = 60 bytes per block.
    const s = await readInBlocks(source, 20, 60);
    expect(reads).toEqual([3, 3, 3, 3, 3, 3, 2]);
    expect(s.n).toBe(20);
    expect(Array.from(s.values)).toEqual(Array.from(all.values.subarray(0, 20 * V)));
    expect(Array.from(s.energy)).toEqual(Array.from(all.energy.subarray(0, 20)));
    expect(Array.from(s.theta!)).toEqual(Array.from(all.theta.subarray(0, 20)));
    reads.length = 0;
    // Within one block: a single read.
    await readInBlocks(source, 20);
    expect(reads).toEqual([20]);
  });
});
