import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@calozoo/core';
import { Adam } from './adam.js';

describe('Adam', () => {
  it('matches the update rule of Kingma & Ba for two steps and restores its state', () => {
    const w = tf.variable(tf.tensor1d([1, -2]));
    const adam = new Adam({ w }, { clipNorm: 0 });
    const lr = 0.1;
    const g1 = [0.5, -1];
    const g2 = [0.2, 0.3];
    adam.apply({ w: tf.tensor1d(g1) }, lr);
    adam.apply({ w: tf.tensor1d(g2) }, lr);
    const expected = [1, -2].map((x0, i) => {
      let x = x0;
      let m = 0;
      let v = 0;
      [g1[i], g2[i]].forEach((g, k) => {
        m = 0.9 * m + 0.1 * g;
        v = 0.999 * v + 0.001 * g * g;
        const mh = m / (1 - 0.9 ** (k + 1));
        const vh = v / (1 - 0.999 ** (k + 1));
        x -= (lr * mh) / (Math.sqrt(vh) + 1e-8);
      });
      return x;
    });
    const got = Array.from(w.dataSync());
    expect(got[0]).toBeCloseTo(expected[0], 5);
    expect(got[1]).toBeCloseTo(expected[1], 5);
    const w2 = tf.variable(tf.tensor1d(got));
    const other = new Adam({ w: w2 });
    other.setState(adam.state());
    adam.apply({ w: tf.tensor1d([1, 1]) }, lr);
    other.apply({ w: tf.tensor1d([1, 1]) }, lr);
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w.dataSync()));
  });

  it('clips the global gradient norm', () => {
    const w = tf.variable(tf.tensor1d([0, 0]));
    const adam = new Adam({ w }, { clipNorm: 1 });
    expect(adam.apply({ w: tf.tensor1d([3, 4]) }, 0.01)).toBeCloseTo(5, 5);
  });
});
