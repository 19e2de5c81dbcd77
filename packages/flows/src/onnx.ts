/**
 * ONNX export of the sampling direction (noise → data) of flows: each layer appends its inverse
 * to an `OnnxGraphBuilder` with its trained weights as initializers, so that onnxruntime can draw
 * samples without TensorFlow.js. The maths mirrors the TF.js inverses op for op (rqs.ts,
 * elementwise.ts), so both runtimes agree to float32 rounding for the same noise and context.
 */
import { InvalidArgumentError, type OnnxGraphBuilder, type OnnxValue } from '@calozoo/core';
import { KNOT_SEARCH_EPS, MIN_BIN_WIDTH, MIN_DERIVATIVE, type RqsOptions } from './rqs.js';

/** A bijector whose inverse can be written into an ONNX graph. */
export interface OnnxInvertible {
  /** Appends the inverse map y → x (feature count unchanged) and returns x. */
  onnxInverse(g: OnnxGraphBuilder, y: OnnxValue, context: OnnxValue | undefined): OnnxValue;
}

/**
 * Column layouts let a flow's ONNX inverse skip column reorderings: a value "in layout L" holds
 * feature L[k] in column k. Permutations only relabel columns, LU-linear maps take any input
 * layout and emit any output layout by permuting the rows and columns of their matrix, and a
 * coupling layer reads its identity and transformed halves with one Split when they arrive as
 * [identity…, transformed…] and leaves its output in that order. Exact: only the order of columns
 * changes, never a value.
 */
export interface OnnxLayoutInverse {
  /**
   * Appends the inverse for y arriving in layout `layout`; returns x and its layout. `want` is the
   * layout the next layer would like x in (null: the natural order), a hint a layer may ignore.
   */
  onnxInverseInLayout(g: OnnxGraphBuilder, y: OnnxValue, layout: readonly number[], want: readonly number[] | null, context: OnnxValue | undefined): { x: OnnxValue; layout: number[] };
  /** The layout this layer's inverse would like y in (null: the natural order). */
  onnxInputLayout?(): readonly number[] | null;
  /** For pure relabellings (permutations): the input layout whose inverse output is in layout `want`. */
  onnxRelabelBack?(want: readonly number[]): number[];
}

/** 0, 1, …, n − 1. */
export function identityLayout(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Reorders the columns of x from `from` to `to` with one Gather (none when they agree). */
export function relayoutOnnx(g: OnnxGraphBuilder, x: OnnxValue, from: readonly number[], to: readonly number[]): OnnxValue {
  if (from.every((c, k) => c === to[k])) return x;
  const pos = new Map(from.map((c, k) => [c, k]));
  return g.gather(x, to.map((c) => pos.get(c)!), 1);
}

/** Zeros with the run-time shape of `like` (float32). */
export function zerosLikeOnnx(g: OnnxGraphBuilder, like: OnnxValue): OnnxValue {
  return g.expand(g.scalar(0), g.shapeOf(like), like.shape);
}

/**
 * Inverse rational-quadratic spline in ONNX (same knots, bin search and root formula as
 * `rqsInverse`): y [n, f], raw parameters [n, f, 3K−1] → x [n, f].
 */
export function rqsInverseOnnx(g: OnnxGraphBuilder, y: OnnxValue, raw: OnnxValue, o: RqsOptions, f: number): OnnxValue {
  const K = o.bins;
  const B = o.tailBound;
  const logits = g.reshape(g.slice(raw, [0], [2 * K], [2]), [-1, f, 2, K]);
  // Knots from the softmax p in one MatMul + Add: for j < K, knot_j = 2B·(m·j + (1 − mK)·Σ_{i<j} p_i) − B
  // (the cumulative sum of the bin sizes, scaled to [−B, B]); knot_K = B exactly (as rqsKnots).
  const m = MIN_BIN_WIDTH;
  const A = new Float32Array(K * (K + 1));
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) A[i * (K + 1) + j] = 2 * B * (1 - m * K);
  const offset = Float32Array.from({ length: K + 1 }, (_, j) => (j < K ? 2 * B * m * j - B : B));
  // As a Gemm on [n·f·2, K] rows with the offset as its C: onnxruntime broadcasts an Add of a short
  // vector over [n, f, 2, K + 1] element by element (measured ~7× slower than the same Add of a scalar).
  const probs = g.reshape(g.softmax(logits, -1), [-1, K]);
  const knots = g.reshape(g.gemm(probs, { data: A, shape: [K, K + 1] }, { data: offset, shape: [K + 1] }), [-1, f, 2, K + 1]);
  const xk = g.reshape(g.slice(knots, [0], [1], [2]), [-1, f, K + 1]);
  const yk = g.reshape(g.slice(knots, [1], [2], [2]), [-1, f, K + 1]);
  const interior = K > 1 ? g.add(MIN_DERIVATIVE, softplusOnnx(g, g.slice(raw, [2 * K], [3 * K - 1], [2]))) : g.slice(g.mul(raw, 0), [0], [0], [2]);
  const dk = g.pad(interior, [0, 0, 1, 0, 0, 1], 1);

  const inside = g.and(g.greaterOrEqual(y, -B), g.lessOrEqual(y, B));
  const v = g.clip(y, -B, B);
  const bump = new Float32Array(K + 1);
  bump[K] = KNOT_SEARCH_EPS;
  const ge = g.cast(g.greaterOrEqual(g.unsqueeze(v, [2]), g.add(yk, { data: bump, shape: [K + 1] })), 'float32');
  // Bin index as [n, f]: onnxruntime runs scalar arithmetic on a shape ending in 1 ([n, f, 1]) ~40×
  // slower than on [n, f]; the trailing axis GatherElements needs is added after the arithmetic.
  const binF = g.sub(g.reduceSum(ge, [2]), 1);
  const lo = g.unsqueeze(g.cast(binF, 'int64'), [2]);
  const hi = g.unsqueeze(g.cast(g.add(binF, 1), 'int64'), [2]);
  const at = (t: OnnxValue, idx: OnnxValue): OnnxValue => g.squeeze(g.gatherElements(t, idx, 2), [2]);
  const x0 = at(xk, lo);
  const x1 = at(xk, hi);
  const y0 = at(yk, lo);
  const y1 = at(yk, hi);
  const d0 = at(dk, lo);
  const d1 = at(dk, hi);
  const w = g.sub(x1, x0);
  const h = g.sub(y1, y0);
  const s = g.div(h, w);
  const delta = g.sub(v, y0);
  const t = g.sub(g.add(d0, d1), g.mul(s, 2));
  const a = g.add(g.mul(h, g.sub(s, d0)), g.mul(delta, t));
  const b = g.sub(g.mul(h, d0), g.mul(delta, t));
  const c = g.neg(g.mul(s, delta));
  const disc = g.relu(g.sub(g.mul(b, b), g.mul(g.mul(a, c), 4)));
  const xi = g.clip(g.div(g.mul(c, 2), g.sub(g.neg(b), g.sqrt(disc))), 0, 1);
  return g.where(inside, g.add(x0, g.mul(xi, w)), y);
}

/**
 * softplus(x) = max(x, 0) + log(1 + e^−|x|): overflow-free and built from ops onnxruntime
 * vectorises (its Softplus kernel measured ~10 ns per value here).
 */
function softplusOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
  return g.add(g.relu(x), g.log(g.add(g.exp(g.neg(g.abs(x))), 1)));
}

/** Throws the error every non-exportable bijector gives. */
export function notExportable(what: string): never {
  throw new InvalidArgumentError(`ONNX export: ${what} has no ONNX inverse; export flows built from coupling, autoregressive, elementwise, permutation, lu-linear, actnorm and batch-norm layers.`);
}
