/**
 * Column selection and scatter by constant 0/1 matrices: a matmul instead of `tf.gather`, whose
 * gradient needs UnsortedSegmentSum (missing on the wasm backend). Exact for finite inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matMul2d } from '@calozoo/core';

/** A [dim, idx.length] matrix S with S[idx[j], j] = 1, so x S selects the columns idx. */
export function selectionMatrix(dim: number, idx: readonly number[]): tf.Tensor2D {
  const m = new Float32Array(dim * idx.length);
  idx.forEach((i, j) => {
    m[i * idx.length + j] = 1;
  });
  return tf.keep(tf.tensor2d(m, [dim, idx.length]));
}

/** x S: the columns of x listed when S was built. */
export function selectColumns(x: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor2D {
  return matMul2d(x, s);
}

/** v Sᵀ: places the columns of v back at their positions (zeros elsewhere). */
export function scatterColumns(v: tf.Tensor2D, s: tf.Tensor2D): tf.Tensor2D {
  return matMul2d(v, s, false, true);
}
