/**
 * Invertible linear map with an LU parametrisation, W = L U (Kingma & Dhariwal 2018, Glow's LU
 * invertible 1×1 convolution, which on flat vectors is exactly this; nflows' `LULinear`):
 * L unit lower-triangular, U upper-triangular with diagonal softplus(·) + ε, so
 * log|det W| = Σ log U_ii. Starts at the identity.
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeVariable } from './variable.js';
import { dense, matMul2d, type OnnxGraphBuilder, type OnnxValue } from '@calozoo/core';
import type { Bijector } from './bijector.js';

/** Added to the softplus of the diagonal of U so that it stays invertible (nflows' eps). */
export const LU_DIAGONAL_EPS = 1e-3;

function triMask(dim: number, lower: boolean): Float32Array {
  const m = new Float32Array(dim * dim);
  for (let i = 0; i < dim; i++) for (let j = 0; j < dim; j++) m[i * dim + j] = (lower ? i > j : i < j) ? 1 : 0;
  return m;
}

/** Inverse of I + N for nilpotent N (N^dim = 0): Π_j (I + (−N)^(2^j)), log2(dim) matmuls, differentiable. */
function unipotentInverse(n: tf.Tensor2D, dim: number): tf.Tensor2D {
  const eye = tf.eye(dim);
  let p = tf.neg(n) as tf.Tensor2D;
  let inv = tf.add(eye, p) as tf.Tensor2D;
  for (let k = 2; k < dim; k *= 2) {
    p = tf.matMul(p, p);
    inv = tf.matMul(inv, tf.add(eye, p) as tf.Tensor2D);
  }
  return inv;
}

/** y = x Wᵀ + b with W = L U. */
export class LuLinear implements Bijector {
  private readonly lower: tf.Variable;
  private readonly upper: tf.Variable;
  private readonly diag: tf.Variable;
  private readonly bias: tf.Variable;
  private readonly lMask: tf.Tensor2D;
  private readonly uMask: tf.Tensor2D;

  /** Creates the identity map on `dim` features. */
  constructor(private readonly dim: number) {
    this.lower = makeVariable(tf.zeros([dim, dim]));
    this.upper = makeVariable(tf.zeros([dim, dim]));
    // softplus(c) + ε = 1 at the start.
    this.diag = makeVariable(tf.fill([dim], Math.log(Math.expm1(1 - LU_DIAGONAL_EPS))));
    this.bias = makeVariable(tf.zeros([dim]));
    this.lMask = tf.keep(tf.tensor2d(triMask(dim, true), [dim, dim]));
    this.uMask = tf.keep(tf.tensor2d(triMask(dim, false), [dim, dim]));
  }

  private diagonal(): tf.Tensor1D {
    return tf.add(tf.softplus(this.diag), LU_DIAGONAL_EPS) as tf.Tensor1D;
  }

  private parts(): { l: tf.Tensor2D; u: tf.Tensor2D; d: tf.Tensor1D } {
    const d = this.diagonal();
    const l = tf.add(tf.eye(this.dim), tf.mul(this.lower, this.lMask)) as tf.Tensor2D;
    // eye · dᵀ rather than tf.diag, which has no registered gradient.
    const u = tf.add(tf.mul(tf.eye(this.dim), tf.reshape(d, [1, this.dim])), tf.mul(this.upper, this.uMask)) as tf.Tensor2D;
    return { l, u, d };
  }

  /** y = x Uᵀ Lᵀ + b (Uᵀ Lᵀ formed first: one product of the data, not two); log|det| = Σ log d. */
  forward(x: tf.Tensor2D) {
    return tf.tidy(() => {
      const { l, u, d } = this.parts();
      const y = dense(x, matMul2d(u, l, true, true), this.bias as tf.Tensor1D);
      return { y, logDet: tf.mul(tf.ones([x.shape[0]]), tf.sum(tf.log(d))) as tf.Tensor1D };
    });
  }

  /** x = (y − b) L⁻ᵀ U⁻ᵀ, with U⁻¹ = (I + D⁻¹M)⁻¹ D⁻¹. */
  inverse(y: tf.Tensor2D) {
    return tf.tidy(() => {
      const d = this.diagonal();
      const lInv = unipotentInverse(tf.mul(this.lower, this.lMask) as tf.Tensor2D, this.dim);
      const dInv = tf.reciprocal(d);
      const m = tf.mul(tf.reshape(dInv, [this.dim, 1]), tf.mul(this.upper, this.uMask)) as tf.Tensor2D;
      const uInv = tf.mul(unipotentInverse(m, this.dim), tf.reshape(dInv, [1, this.dim])) as tf.Tensor2D;
      const x = matMul2d(matMul2d(tf.sub(y, this.bias) as tf.Tensor2D, lInv, false, true), uInv, false, true);
      return { x, logDet: tf.mul(tf.ones([y.shape[0]]), tf.neg(tf.sum(tf.log(d)))) as tf.Tensor1D };
    });
  }

  /**
   * Appends the inverse x = (y − b) W⁻ᵀ as one MatMul, with W = L U formed and inverted in float64
   * (Gauss–Jordan with partial pivoting) at export time.
   */
  onnxInverse(g: OnnxGraphBuilder, y: OnnxValue): OnnxValue {
    const natural = Array.from({ length: this.dim }, (_, i) => i);
    return this.onnxInverseInLayout(g, y, natural, null).x;
  }

  /**
   * The same MatMul for y in `layout`, emitting x in layout `want` (natural order when null): the
   * rows of the matrix and the bias follow the input layout, the columns the output layout.
   */
  onnxInverseInLayout(g: OnnxGraphBuilder, y: OnnxValue, layout: readonly number[], want: readonly number[] | null): { x: OnnxValue; layout: number[] } {
    const D = this.dim;
    const M = this.inverseMatrix();
    const out = want ?? Array.from({ length: D }, (_, i) => i);
    const m = new Float32Array(D * D);
    for (let k = 0; k < D; k++) for (let j = 0; j < D; j++) m[k * D + j] = M[layout[k]!]![out[j]!]!;
    const bias = this.bias.dataSync();
    const b = Float32Array.from(layout, (c) => bias[c]!);
    return { x: g.matMul(g.sub(y, { data: b, shape: [D] }), { data: m, shape: [D, D] }), layout: [...out] };
  }

  /** M with x = (y − b) M, i.e. M[i][j] = W⁻¹[j][i], in float64. */
  private inverseMatrix(): Float64Array[] {
    const D = this.dim;
    const lo = this.lower.dataSync();
    const up = this.upper.dataSync();
    const dg = this.diag.dataSync();
    const L = (i: number, j: number): number => (i === j ? 1 : i > j ? lo[i * D + j] : 0);
    const U = (i: number, j: number): number => (i === j ? Math.log1p(Math.exp(dg[i])) + LU_DIAGONAL_EPS : i < j ? up[i * D + j] : 0);
    // Augmented [W | I], reduced to [I | W⁻¹].
    const a = Array.from({ length: D }, (_, i) => {
      const row = new Float64Array(2 * D);
      for (let j = 0; j < D; j++) for (let k = 0; k <= Math.min(i, j); k++) row[j] += L(i, k) * U(k, j);
      row[D + i] = 1;
      return row;
    });
    for (let c = 0; c < D; c++) {
      let piv = c;
      for (let r = c + 1; r < D; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
      [a[c], a[piv]] = [a[piv], a[c]];
      const p = a[c][c];
      for (let j = 0; j < 2 * D; j++) a[c][j] /= p;
      for (let r = 0; r < D; r++) {
        if (r === c || a[r][c] === 0) continue;
        const m = a[r][c];
        for (let j = 0; j < 2 * D; j++) a[r][j] -= m * a[c][j];
      }
    }
    // x = (y − b) M with M[i][j] = W⁻¹[j][i].
    return Array.from({ length: D }, (_, i) => Float64Array.from({ length: D }, (_, j) => a[j]![D + i]!));
  }

  /** `lower`, `upper` (strict triangles used), `unconstrainedDiagonal`, `bias`. */
  variables(): Record<string, tf.Variable> {
    return { lower: this.lower, upper: this.upper, unconstrainedDiagonal: this.diag, bias: this.bias };
  }

  /** Releases the weights. */
  dispose(): void {
    [this.lower, this.upper, this.diag, this.bias, this.lMask, this.uMask].forEach((t) => t.dispose());
  }
}
