import { expect, it } from 'vitest';
import { forEachBackend } from '../testing/backends.js';
import { tf, tidyValues } from './tf.js';

await forEachBackend(() => {
  it('tidyValues returns the values of the tensor made in its scope and frees every tensor of the scope', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numTensors;
    const v = tidyValues(() => tf.add(tf.mul(x, 2), 1));
    expect(Array.from(v)).toEqual([3, 5, 7]);
    expect(tf.memory().numTensors).toBe(before);
    const ints = tidyValues<Int32Array>(() => tf.cast(x, 'int32'));
    expect(ints).toBeInstanceOf(Int32Array);
    x.dispose();
  });
});
