/**
 * Monotonic rational-quadratic spline (Durkan et al. 2019, "Neural Spline Flows", arXiv:1906.04032,
 * eqs. 4–8 and appendix A) on [−B, B] with identity (linear) tails, as in nflows'
 * `unconstrained_rational_quadratic_spline`; formulas in field-reference.md §4.8.
 *
 * Pure tensor maths, no parameters of its own. Numerical pitfalls (field-reference.md §6 item 7)
 * are handled by clamping inputs to [−B, B] before the spline formula so that out-of-range inputs
 * never produce NaN values or gradients, blending the tail back arithmetically (no `where`, whose
 * condition path has no gradient in tfjs), clamping ξ to [0, 1] and the discriminant to ≥ 0.
 * The bin is found with comparisons turned into 0/1 masks off the gradient tape (core's
 * `withoutGradient`), and the bin's knots and derivatives are masked sums of the bin sizes and
 * derivatives, rather than searchsorted + gather: tfjs has no differentiable searchsorted, and
 * gather's gradient is missing on the wasm backend. The backward pass then runs through a
 * handful of small products only: no cumulative sum, slices or pads (on native TensorFlow a
 * 4-coupling flow's training step lost ~300 of its ~3 500 kernels, among them 8 cumulative sums
 * of ~0.7 ms and 32 pads of 0.15–0.5 ms).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, customOp, customOpAvailable, withoutGradient } from '@calozoo/core';

/** Smallest bin width as a fraction of 2B (nflows' DEFAULT_MIN_BIN_WIDTH). */
export const MIN_BIN_WIDTH = 1e-3;
/** Smallest bin height as a fraction of 2B (nflows' DEFAULT_MIN_BIN_HEIGHT). */
export const MIN_BIN_HEIGHT = 1e-3;
/** Smallest interior knot derivative (nflows' DEFAULT_MIN_DERIVATIVE). */
export const MIN_DERIVATIVE = 1e-3;
/** Added to the last knot in the bin search so that an input exactly at B lands in the last bin. */
export const KNOT_SEARCH_EPS = 1e-6;

/** Options of the spline: number of bins K and tail bound B. */
export interface RqsOptions {
  bins: number;
  tailBound: number;
  /** Factor on the width and height logits before the softmax (nflows divides them by √hidden); default 1. */
  logitScale?: number;
}

/** Number of unconstrained parameters per feature: K widths, K heights, K − 1 interior derivatives. */
export function rqsParamCount(bins: number): number {
  return 3 * bins - 1;
}

/** Knots of the spline built from unconstrained parameters: x-knots, y-knots and derivatives, each [n, f, K+1]. */
export interface RqsKnots {
  xk: tf.Tensor3D;
  yk: tf.Tensor3D;
  dk: tf.Tensor3D;
}

function checkOptions(raw: tf.Tensor3D, o: RqsOptions): void {
  if (!Number.isInteger(o.bins) || o.bins < 1) throw new InvalidArgumentError(`rqs: bins must be a positive integer, got ${o.bins}`);
  if (!(o.tailBound > 0)) throw new InvalidArgumentError(`rqs: tailBound must be > 0, got ${o.tailBound}`);
  if (o.bins * MIN_BIN_WIDTH > 1) throw new InvalidArgumentError(`rqs: ${o.bins} bins do not fit with MIN_BIN_WIDTH ${MIN_BIN_WIDTH}`);
  const p = rqsParamCount(o.bins);
  if (raw.rank !== 3 || raw.shape[2] !== p) {
    throw new InvalidArgumentError(`rqs: parameters must have shape [n, f, ${p}] for ${o.bins} bins, got [${raw.shape}]`);
  }
}

/** Bin sizes and interior derivatives of the spline, rows flattened to n·f. */
interface SplineParams {
  /** Bin widths (row 0) and heights (row 1) as fractions of 2B, [n·f, 2, K]. */
  sizes: tf.Tensor3D;
  /** Interior knot derivatives m_d + softplus(θ^d), [n·f, K−1] (null when K = 1). */
  dInterior: tf.Tensor2D | null;
  /** The softmax of the width and height logits, [n·f, 2, K] (sizes = m_w + (1 − K m_w) p). */
  p: tf.Tensor3D;
  /** The raw interior-derivative parameters θ^d, [n·f, K−1] (null when K = 1). */
  dRaw: tf.Tensor2D | null;
}

/**
 * Sizes and derivatives from raw parameters [n, f, 3K−1] laid out as [widths | heights |
 * derivatives]: `w_k = m_w + (1 − K m_w) softmax(c θ^w)_k` with c = `logitScale` (likewise heights; both share one softmax
 * since MIN_BIN_WIDTH = MIN_BIN_HEIGHT), interior derivatives `m_d + softplus(θ^d)`.
 */
function splineParams(raw: tf.Tensor3D, o: RqsOptions): SplineParams {
  const logitScale = o.logitScale ?? 1;
  checkOptions(raw, o);
  const K = o.bins;
  const [n, f] = raw.shape;
  const flat = tf.reshape(raw, [n * f, 3 * K - 1]);
  const [logits, dRaw] = K > 1 ? tf.split(flat, [2 * K, K - 1], 1) : [flat, null];
  const scaled = logitScale === 1 ? logits : tf.mul(logits, logitScale);
  const p = tf.softmax(tf.reshape(scaled, [n * f, 2, K])) as tf.Tensor3D;
  const sizes = tf.add(MIN_BIN_WIDTH, tf.mul(1 - MIN_BIN_WIDTH * K, p)) as tf.Tensor3D;
  return { sizes, dInterior: dRaw ? (tf.add(MIN_DERIVATIVE, tf.softplus(dRaw)) as tf.Tensor2D) : null, p, dRaw: dRaw as tf.Tensor2D | null };
}

/**
 * [K, K+1] matrix and [K+1] offset turning bin sizes into knots on [−B, B]: knot_k = −B + 2B Σ_{i<k}
 * size_i, with the endpoints exactly −B and B (not taken from the sum; nflows does the same).
 */
function knotMap(K: number, B: number): { m: tf.Tensor2D; offset: tf.Tensor1D } {
  const key = `${K},${B}`;
  let a = knotArrays.get(key);
  if (!a) {
    const m = new Float32Array(K * (K + 1));
    for (let i = 0; i < K; i++) for (let k = i + 1; k < K; k++) m[i * (K + 1) + k] = 2 * B;
    const offset = new Float32Array(K + 1).fill(-B);
    offset[K] = B;
    knotArrays.set(key, (a = { m, offset }));
  }
  return { m: tf.tensor2d(a.m, [K, K + 1]), offset: tf.tensor1d(a.offset) };
}

/** The constant arrays of `knotMap` and `maskCoefficients`, built once per (K, B) or K (tensors are made per call, on whatever backend is active). */
const knotArrays = new Map<string, { m: Float32Array; offset: Float32Array }>();
const coefficientArrays = new Map<number, Float32Array>();

/**
 * coef[k][c] [(K+1), 4K]: the weight of G_k in mask column c (see `binMasks`); row 0 is the
 * constant contribution of G_0 = 1, row K (G_K = 0) contributes nothing.
 */
function maskCoefficients(K: number): Float32Array {
  let coef = coefficientArrays.get(K);
  if (coef) return coef;
  const C = 4 * K;
  coef = new Float32Array((K + 1) * C);
  const c = coef;
  const put = (k: number, col: number, w: number) => {
    c[k * C + col] += w;
  };
  for (let j = 0; j < K; j++) {
    put(j + 1, j, 1);
    put(j, K + j, 1);
    put(j + 1, K + j, -1);
  }
  for (let j = 0; j + 1 < K; j++) {
    put(j + 1, 2 * K + j, 1);
    put(j + 2, 2 * K + j, -1);
    put(j, 3 * K - 1 + j, 1);
    put(j + 1, 3 * K - 1 + j, -1);
  }
  put(0, 4 * K - 2, 1);
  put(1, 4 * K - 2, -1);
  put(K - 1, 4 * K - 1, 1);
  put(K, 4 * K - 1, -1);
  coefficientArrays.set(K, coef);
  return coef;
}

/**
 * Knots [n, f, K+1] of the spline built from unconstrained parameters [n, f, 3K−1]: x-knots, y-knots
 * and derivatives (boundary derivatives 1, so that the spline joins the identity tails with C¹
 * continuity).
 */
export function rqsKnots(raw: tf.Tensor3D, o: RqsOptions): RqsKnots {
  return tf.tidy(() => {
    const [n, f] = raw.shape;
    const K = o.bins;
    const { sizes, dInterior } = splineParams(raw, o);
    const { m, offset } = knotMap(K, o.tailBound);
    const knots = tf.reshape(tf.add(tf.matMul(tf.reshape(sizes, [n * f * 2, K]), m), offset), [n, f, 2, K + 1]);
    const [xk, yk] = tf.unstack(knots, 2) as [tf.Tensor3D, tf.Tensor3D];
    const ones = tf.ones([n * f, 1]);
    const dk = tf.reshape(dInterior ? tf.concat([ones, dInterior, ones], 1) : tf.concat([ones, ones], 1), [n, f, K + 1]) as tf.Tensor3D;
    return { xk, yk, dk };
  });
}

/**
 * 0/1 masks [n·f, 4K+1] locating each input (clamped to [−B, B]) among the knots of `sizes` row
 * `axis` (0: x, forward; 1: y, inverse), computed off the gradient tape. With G_k = [v ≥ knot_k]
 * (G_0 = 1; G_K = 0 since the last knot is bumped by KNOT_SEARCH_EPS) the columns are, for bins
 * j = 0…K−1: below_j = G_{j+1} (bin j lies below the input's bin), hot_j = G_j − G_{j+1} (the
 * input's bin), then hot_{j+1} and hot_j for j = 0…K−2 (which interior derivative is d_0 or d_1),
 * hot_0 and hot_{K−1} (where d_0 or d_1 is a boundary derivative 1), and 1 where the unclamped
 * input lies inside [−B, B]. The comparisons have zero gradient, so nothing is lost; every mask is
 * a fixed linear map of G, applied with one matmul.
 */
function binMasks(t: tf.Tensor2D, sizes: tf.Tensor3D, axis: 0 | 1, o: RqsOptions): tf.Tensor2D {
  const K = o.bins;
  const B = o.tailBound;
  const rows = sizes.shape[0];
  return withoutGradient(() => {
    const tv = tf.reshape(t, [rows, 1]);
    const inside = tf.cast(tf.logicalAnd(tf.greaterEqual(tv, -B), tf.lessEqual(tv, B)), 'float32');
    const C = 4 * K;
    const coef = maskCoefficients(K);
    // G_0 = 1 contributes a constant row; G_K = 0 contributes nothing.
    const constant = tf.tensor1d(coef.subarray(0, C));
    let masks: tf.Tensor2D;
    if (K > 1) {
      const v = tf.clipByValue(tv, -B, B);
      const row = tf.reshape(tf.slice(sizes, [0, axis, 0], [rows, 1, K]), [rows, K]);
      const { m, offset } = knotMap(K, B);
      const interior = tf.slice(tf.add(tf.matMul(row, m), offset), [0, 1], [rows, K - 1]);
      const G = tf.cast(tf.greaterEqual(v, interior), 'float32');
      masks = tf.add(tf.matMul(G, tf.tensor2d(coef.subarray(C, K * C), [K - 1, C])), constant);
    } else {
      masks = tf.add(tf.zeros([rows, C]), constant);
    }
    return tf.concat([masks, inside], 1) as tf.Tensor2D;
  });
}

/** A clamped input's bin: left knot, width, height, slope and boundary derivatives, each [n, f]. */
interface Located {
  /** 1 where the input lies in [−B, B], else 0. */
  inside: tf.Tensor2D;
  /** The input clamped to [−B, B]. */
  v: tf.Tensor2D;
  x0: tf.Tensor;
  y0: tf.Tensor;
  d0: tf.Tensor;
  d1: tf.Tensor;
  w: tf.Tensor;
  h: tf.Tensor;
  s: tf.Tensor;
  /** What `rqsForward`'s hand-written gradient needs: the softmax, the below/hot masks [n·f, 2K], which interior derivative is d_0 / d_1 [n·f, 2(K−1)], θ^d. */
  parts: { p: tf.Tensor3D; bh: tf.Tensor; dSel: tf.Tensor; dRaw: tf.Tensor2D | null };
}

/**
 * Clamps `t` to [−B, B] and finds its bin among the x-knots (axis 0, forward) or y-knots (axis 1,
 * inverse): x0 = −B + 2B Σ below·widths, w = 2B Σ hot·widths (likewise y0, h), d0 and d1 from the
 * interior derivatives and the boundary 1s. Only these masked sums are differentiated.
 */
function locate(t: tf.Tensor2D, raw: tf.Tensor3D, o: RqsOptions, axis: 0 | 1): Located {
  const K = o.bins;
  const B = o.tailBound;
  const [n, f] = t.shape;
  const rows = n * f;
  const { sizes, dInterior, p, dRaw } = splineParams(raw, o);
  const masks = binMasks(t, sizes, axis, o);
  const [bh, dSel, dBoundary, insideCol] = tf.split(masks, [2 * K, 2 * (K - 1), 2, 1], 1);
  // [rows, 2 (x, y), 2 (below, hot)]: Σ_k size_k · mask_k (a broadcast product: TensorFlow's
  // batched matmul of 2×K blocks is 3× slower here)
  const sums = tf.sum(tf.mul(tf.reshape(sizes, [rows, 2, 1, K]), tf.reshape(bh, [rows, 1, 2, K])), 3);
  const xyOffset = tf.tensor3d([-B, 0, -B, 0], [1, 2, 2]);
  const knotsAndSizes = tf.reshape(tf.add(tf.mul(sums, 2 * B), xyOffset), [n, f, 4]);
  const d = dInterior
    ? tf.add(tf.sum(tf.mul(tf.reshape(dSel, [rows, 2, K - 1]), tf.expandDims(dInterior, 1)), 2), dBoundary)
    : dBoundary;
  const [x0, w, y0, h] = tf.unstack(knotsAndSizes, 2);
  const [d0, d1] = tf.unstack(tf.reshape(d, [n, f, 2]), 2);
  return { inside: tf.reshape(insideCol, [n, f]) as tf.Tensor2D, v: tf.clipByValue(t, -B, B), x0, y0, d0, d1, w, h, s: tf.div(h, w), parts: { p, bh, dSel, dRaw } };
}

/** inside · spline + (1 − inside) · identity: the linear tails outside [−B, B]. */
function withTails(inside: tf.Tensor2D, spline: tf.Tensor, identity: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.mul(inside, spline), tf.mul(tf.sub(1, inside), identity)) as tf.Tensor2D;
}

/**
 * log dy/dx of the rational-quadratic segment at ξ (Durkan et al. 2019, eq. 5) = log(s²M) − 2 log D
 * with M = d₁ξ² + 2sξ(1−ξ) + d₀(1−ξ)² and D = s + (d₀ + d₁ − 2s)ξ(1−ξ), returned with ξ(1−ξ), M and D.
 */
function logDerivative(xi: tf.Tensor, s: tf.Tensor, d0: tf.Tensor, d1: tf.Tensor): { logDer: tf.Tensor; xo: tf.Tensor; m: tf.Tensor; den: tf.Tensor } {
  const om = tf.sub(1, xi);
  const xo = tf.mul(xi, om);
  const m = tf.add(tf.add(tf.mul(d1, tf.square(xi)), tf.mul(tf.mul(2, s), xo)), tf.mul(d0, tf.square(om)));
  const den = tf.add(s, tf.mul(tf.sub(tf.add(d0, d1), tf.mul(2, s)), xo));
  return { logDer: tf.sub(tf.log(tf.mul(tf.square(s), m)), tf.mul(2, tf.log(den))), xo, m, den };
}

/** The forward segment at a located input: ξ = (v − x₀)/w clamped to [0, 1], q = N/D with N = h(sξ² + d₀ξ(1−ξ)), and the log-derivative's pieces. */
function forwardSegment(l: Located): { xi: tf.Tensor; q: tf.Tensor; logDer: tf.Tensor; m: tf.Tensor; den: tf.Tensor } {
  const xi = tf.clipByValue(tf.div(tf.sub(l.v, l.x0), l.w), 0, 1);
  const { logDer, xo, m, den } = logDerivative(xi, l.s, l.d0, l.d1);
  const q = tf.div(tf.mul(l.h, tf.add(tf.mul(l.s, tf.square(xi)), tf.mul(l.d0, xo))), den);
  return { xi, q, logDer, m, den };
}

/**
 * Forward spline y = g(x) element-wise, recorded op by op (tfjs-core differentiates every step);
 * the reference for `rqsForward`'s hand-written gradient.
 * @param x inputs [n, f]; values outside [−B, B] pass through unchanged with log-derivative 0
 * @param raw unconstrained parameters [n, f, 3K−1]
 * @returns outputs [n, f] and element-wise log dy/dx [n, f]
 */
export function rqsForwardTaped(x: tf.Tensor2D, raw: tf.Tensor3D, o: RqsOptions): { y: tf.Tensor2D; logDet: tf.Tensor2D } {
  return tf.tidy(() => {
    const l = locate(x, raw, o, 0);
    const { q, logDer } = forwardSegment(l);
    return { y: withTails(l.inside, tf.add(l.y0, q), x), logDet: tf.mul(l.inside, logDer) as tf.Tensor2D };
  });
}

/**
 * Forward spline y = g(x) element-wise, as one op with a hand-written gradient (same values as
 * `rqsForwardTaped`). A 4-coupling flow's training step recorded ~1 500 spline kernels, forward and
 * backward, most of them tiny products whose JavaScript and binding cost outweighs their
 * arithmetic; here the forward pass leaves one tape entry and the backward pass is ~75 kernels per
 * layer (the whole step: ~1 830 kernel invocations instead of ~2 700, counted with dense layers
 * already one kernel each). With N = h(sξ² + d₀ξ(1−ξ)), D = s + (d₀ + d₁ − 2s)ξ(1−ξ), M = d₁ξ² + 2sξ(1−ξ) + d₀(1−ξ)²,
 * y = y₀ + N/D and log dy/dx = log(s²M) − 2 log D, the partial derivatives w.r.t. ξ, s, h, d₀, d₁
 * and y₀ are chained through ξ = (x − x₀)/w, s = h/w, the masked sums that give x₀, w, y₀, h, d₀, d₁
 * (linear in the bin sizes and interior derivatives), the softmax and the softplus. As in the
 * taped version, the bin search has zero gradient; unlike it, ξ's clamp to [0, 1] (active only by
 * float rounding at a knot) passes the gradient through.
 * @param x inputs [n, f]; values outside [−B, B] pass through unchanged with log-derivative 0
 * @param raw unconstrained parameters [n, f, 3K−1]
 * @returns outputs [n, f] and element-wise log dy/dx [n, f]
 */
export function rqsForward(x: tf.Tensor2D, raw: tf.Tensor3D, o: RqsOptions): { y: tf.Tensor2D; logDet: tf.Tensor2D } {
  if (!customOpAvailable()) return rqsForwardTaped(x, raw, o);
  const K = o.bins;
  const B = o.tailBound;
  const c = o.logitScale ?? 1;
  const [n, f] = x.shape;
  const R = n * f;
  const A = 1 - MIN_BIN_WIDTH * K;
  const [y, logDet] = customOp(
    { x, raw },
    (save) => {
      const l = locate(x, raw, o, 0);
      const { xi, q, logDer, m, den } = forwardSegment(l);
      const { p, bh, dSel, dRaw } = l.parts;
      save([xi, l.s, l.h, l.w, l.d0, l.d1, q, den, m, l.inside, p, bh, ...(dRaw ? [dSel, dRaw] : [])]);
      return [withTails(l.inside, tf.add(l.y0, q), x), tf.mul(l.inside, logDer)];
    },
    ([gy, gl], saved) => {
      const [xi, s, h, w, d0, d1, q, den, m, inside, p, bh, dSel, dRaw] = saved;
      const a = tf.mul(inside!, gy!);
      const b = tf.mul(inside!, gl!);
      const om = tf.sub(1, xi!);
      const xo = tf.mul(xi!, om);
      const xi2 = tf.square(xi!);
      const oneMinus2xi = tf.sub(1, tf.mul(2, xi!));
      // Coefficients of ∂N, ∂D and ∂M in the derivatives of q = N/D and log(s²M) − 2 log D.
      const cN = tf.div(a, den!);
      const cD = tf.neg(tf.div(tf.add(tf.mul(a, q!), tf.mul(2, b)), den!));
      const cM = tf.div(b, m!);
      const s2 = tf.mul(2, s!);
      const gXi = tf.add(
        tf.add(tf.mul(cN, tf.mul(h!, tf.add(tf.mul(s2, xi!), tf.mul(d0!, oneMinus2xi)))), tf.mul(cD, tf.mul(tf.sub(tf.add(d0!, d1!), s2), oneMinus2xi))),
        tf.mul(tf.mul(2, cM), tf.sub(tf.add(tf.mul(d1!, xi!), tf.mul(s!, oneMinus2xi)), tf.mul(d0!, om))),
      );
      const gS = tf.add(
        tf.add(tf.mul(cN, tf.mul(h!, xi2)), tf.mul(cD, tf.sub(1, tf.mul(2, xo)))),
        tf.add(tf.mul(tf.mul(2, cM), xo), tf.div(tf.mul(2, b), s!)),
      );
      const gD0 = tf.add(tf.mul(tf.add(tf.mul(cN, h!), cD), xo), tf.mul(cM, tf.square(om)));
      const gD1 = tf.add(tf.mul(cD, xo), tf.mul(cM, xi2));
      // ξ = (x − x₀)/w and s = h/w.
      const gXiW = tf.div(gXi, w!);
      const gX0 = tf.neg(gXiW);
      const gW = tf.neg(tf.add(tf.mul(gXiW, xi!), tf.div(tf.mul(gS, s!), w!)));
      const gH = tf.add(tf.mul(cN, tf.add(tf.mul(s!, xi2), tf.mul(d0!, xo))), tf.div(gS, w!));
      const gx = tf.add(tf.mul(tf.sub(1, inside!), gy!), gXiW);
      // x₀, w, y₀, h = −B·[1, 0, 1, 0] + 2B Σ_k size_k · (below_k, hot_k): back to the sizes, then the softmax.
      const g4 = tf.reshape(tf.stack([gX0, gW, a, gH], 2), [R, 2, 2, 1]);
      const gP = tf.mul(2 * B * A, tf.sum(tf.mul(g4, tf.reshape(bh!, [R, 1, 2, K])), 2));
      const gLogits = tf.mul(tf.mul(p!, tf.sub(gP, tf.sum(tf.mul(gP, p!), 2, true))), c);
      let gFlat = tf.reshape(gLogits, [R, 2 * K]);
      if (dRaw) {
        const gInterior = tf.sum(tf.mul(tf.reshape(tf.stack([gD0, gD1], 2), [R, 2, 1]), tf.reshape(dSel!, [R, 2, K - 1])), 1);
        gFlat = tf.concat([gFlat, tf.mul(gInterior, tf.sigmoid(dRaw))], 1);
      }
      return { x: gx, raw: tf.reshape(gFlat, [n, f, 3 * K - 1]) };
    },
  );
  return { y: y as tf.Tensor2D, logDet: logDet as tf.Tensor2D };
}

/**
 * Inverse spline x = g⁻¹(y) element-wise, by the numerically stable root of the quadratic
 * (Durkan et al. 2019, eqs. 6–8).
 * @returns inputs [n, f] and element-wise log dx/dy [n, f] (minus the forward one)
 */
export function rqsInverse(y: tf.Tensor2D, raw: tf.Tensor3D, o: RqsOptions): { x: tf.Tensor2D; logDet: tf.Tensor2D } {
  return tf.tidy(() => {
    const { inside, v, x0, y0, d0, d1, w, h, s } = locate(y, raw, o, 1);
    const delta = tf.sub(v, y0);
    const t = tf.sub(tf.add(d0, d1), tf.mul(2, s));
    const a = tf.add(tf.mul(h, tf.sub(s, d0)), tf.mul(delta, t));
    const b = tf.sub(tf.mul(h, d0), tf.mul(delta, t));
    const c = tf.neg(tf.mul(s, delta));
    const disc = tf.relu(tf.sub(tf.square(b), tf.mul(4, tf.mul(a, c))));
    const xi = tf.clipByValue(tf.div(tf.mul(2, c), tf.sub(tf.neg(b), tf.sqrt(disc))), 0, 1);
    const xs = tf.add(x0, tf.mul(xi, w));
    return { x: withTails(inside, xs, y), logDet: tf.neg(tf.mul(inside, logDerivative(xi, s, d0, d1).logDer)) as tf.Tensor2D };
  });
}
