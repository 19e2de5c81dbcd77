/** Fixed feature permutations (reverse or random from a seed), as a matmul by a permutation matrix. */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, matMul2d, type OnnxGraphBuilder, type OnnxValue, type Rng } from '@calozoo/core';
import type { Bijector } from './bijector.js';
import { selectionMatrix } from './select.js';

/** The reversed order dim−1, …, 0. */
export function reversePermutation(dim: number): number[] {
  return Array.from({ length: dim }, (_, i) => dim - 1 - i);
}

/** A random order drawn from `rng` (Fisher–Yates). */
export function randomPermutation(dim: number, rng: Rng): number[] {
  return Array.from(rng.permutation(dim));
}

/** y[:, j] = x[:, indices[j]]; log|det| = 0. */
export class Permutation implements Bijector {
  private readonly p: tf.Tensor2D;

  /** Creates the permutation; `indices` must list 0..dim−1 once each. */
  constructor(readonly indices: readonly number[]) {
    const seen = new Set(indices);
    if (seen.size !== indices.length || indices.some((i) => !Number.isInteger(i) || i < 0 || i >= indices.length)) {
      throw new InvalidArgumentError(`permutation: indices must be a permutation of 0..${indices.length - 1}, got [${indices.join(', ')}]`);
    }
    this.p = selectionMatrix(indices.length, indices);
  }

  /** Reorders the columns. */
  forward(x: tf.Tensor2D) {
    return tf.tidy(() => ({ y: matMul2d(x, this.p), logDet: tf.zeros([x.shape[0]]) as tf.Tensor1D }));
  }

  /** Restores the original order. */
  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => ({ x: matMul2d(y, this.p, false, true), logDet: tf.zeros([y.shape[0]]) as tf.Tensor1D }));
  }

  /** Appends the inverse: x[:, indices[j]] = y[:, j], a Gather. */
  onnxInverse(g: OnnxGraphBuilder, y: OnnxValue): OnnxValue {
    return g.gather(y, this.back(), 1);
  }

  /** The inverse as a relabelling of columns: no graph nodes (y column j is x column indices[j]). */
  onnxInverseInLayout(_g: OnnxGraphBuilder, y: OnnxValue, layout: readonly number[]): { x: OnnxValue; layout: number[] } {
    return { x: y, layout: layout.map((j) => this.indices[j]!) };
  }

  /** The input layout whose relabelled inverse output is in layout `want`. */
  onnxRelabelBack(want: readonly number[]): number[] {
    const back = this.back();
    return want.map((c) => back[c]!);
  }

  /** back[indices[j]] = j. */
  private back(): number[] {
    const back = new Array<number>(this.indices.length);
    this.indices.forEach((col, j) => {
      back[col] = j;
    });
    return back;
  }

  /** No variables: the order lives in the config. */
  variables(): Record<string, tf.Variable> {
    return {};
  }

  /** Releases the permutation matrix. */
  dispose(): void {
    this.p.dispose();
  }
}
