/**
 * Monotonic rational-quadratic spline (Durkan et al. 2019, "Neural Spline Flows", arXiv:1906.04032,
 * eqs. 4–8 and appendix A) on [−B, B] with identity (linear) tails, as in nflows'
 * `unconstrained_rational_quadratic_spline`; formulas in field-reference.md §4.8.
 *
 * Pure tensor maths, no parameters of its own. Numerical pitfalls (field-reference.md §6 item 7)
 * are handled by clamping inputs to [−B, B] before the spline formula so that out-of-range inputs
 * never produce NaN values or gradients, blending the tail back arithmetically (no `where`, whose
 * condition path has no gradient in tfjs), clamping ξ to [0, 1] and the discriminant to ≥ 0.
 * The bin is found with comparisons and a one-hot product rather than searchsorted + gather:
 * tfjs has no differentiable searchsorted, and gather's gradient is missing on the wasm backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@calozoo/core';

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

function cumulativeKnots(logits: tf.Tensor3D, minSize: number, B: number): tf.Tensor3D {
  const [n, f, K] = logits.shape;
  const sizes = tf.add(minSize, tf.mul(1 - minSize * K, tf.softmax(logits)));
  const interior = tf.slice(tf.cumsum(sizes, 2), [0, 0, 0], [n, f, K - 1]);
  // Endpoints are set to exactly ±B, not taken from the cumulative sum (nflows does the same).
  return tf.concat([tf.fill([n, f, 1], -B), tf.sub(tf.mul(2 * B, interior), B), tf.fill([n, f, 1], B)], 2) as tf.Tensor3D;
}

/** Builds knots from raw parameters [n, f, 3K−1] laid out as [widths | heights | derivatives]. */
export function rqsKnots(raw: tf.Tensor3D, o: RqsOptions): RqsKnots {
  checkOptions(raw, o);
  const K = o.bins;
  const [n, f] = raw.shape;
  return tf.tidy(() => {
    const wl = tf.slice(raw, [0, 0, 0], [n, f, K]);
    const hl = tf.slice(raw, [0, 0, K], [n, f, K]);
    const xk = cumulativeKnots(wl, MIN_BIN_WIDTH, o.tailBound);
    const yk = cumulativeKnots(hl, MIN_BIN_HEIGHT, o.tailBound);
    const ones = tf.ones([n, f, 1]);
    // Boundary derivatives are exactly 1 so the spline joins the identity tails with C¹ continuity.
    const dk =
      K > 1
        ? tf.concat([ones, tf.add(MIN_DERIVATIVE, tf.softplus(tf.slice(raw, [0, 0, 2 * K], [n, f, K - 1]))), ones], 2)
        : tf.concat([ones, ones], 2);
    return { xk: xk as tf.Tensor3D, yk: yk as tf.Tensor3D, dk: dk as tf.Tensor3D };
  });
}

/** One-hot [n, f, K] of the bin containing v (v already clamped to [−B, B]); knots [n, f, K+1]. */
function binOneHot(v: tf.Tensor2D, knots: tf.Tensor3D): tf.Tensor3D {
  const [n, f, K1] = knots.shape;
  const K = K1 - 1;
  const bump = tf.concat([tf.zeros([n, f, K]), tf.fill([n, f, 1], KNOT_SEARCH_EPS)], 2);
  const ge = tf.cast(tf.greaterEqual(tf.expandDims(v, 2), tf.add(knots, bump)), 'float32');
  return tf.sub(tf.slice(ge, [0, 0, 0], [n, f, K]), tf.slice(ge, [0, 0, 1], [n, f, K])) as tf.Tensor3D;
}

/** Left and right values of `knots` [n, f, K+1] in the bin selected by `oneHot` [n, f, K]. */
function pick(oneHot: tf.Tensor3D, knots: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
  const [n, f, K1] = knots.shape;
  const K = K1 - 1;
  const left = tf.sum(tf.mul(oneHot, tf.slice(knots, [0, 0, 0], [n, f, K])), 2) as tf.Tensor2D;
  const right = tf.sum(tf.mul(oneHot, tf.slice(knots, [0, 0, 1], [n, f, K])), 2) as tf.Tensor2D;
  return [left, right];
}

/** 1 where −B ≤ v ≤ B, else 0; built from GreaterEqual only, which has a (zero) gradient in tfjs. */
function insideMask(v: tf.Tensor2D, B: number): tf.Tensor2D {
  return tf.mul(tf.cast(tf.greaterEqual(v, -B), 'float32'), tf.cast(tf.greaterEqual(tf.scalar(B), v), 'float32'));
}

/** log dy/dx of the rational-quadratic segment at ξ (Durkan et al. 2019, eq. 5). */
function logDerivative(xi: tf.Tensor, s: tf.Tensor, d0: tf.Tensor, d1: tf.Tensor): tf.Tensor {
  const om = tf.sub(1, xi);
  const xo = tf.mul(xi, om);
  const num = tf.mul(
    tf.square(s),
    tf.add(tf.add(tf.mul(d1, tf.square(xi)), tf.mul(tf.mul(2, s), xo)), tf.mul(d0, tf.square(om))),
  );
  const den = tf.add(s, tf.mul(tf.sub(tf.add(d0, d1), tf.mul(2, s)), xo));
  return tf.sub(tf.log(num), tf.mul(2, tf.log(den)));
}

/**
 * Forward spline y = g(x) element-wise.
 * @param x inputs [n, f]; values outside [−B, B] pass through unchanged with log-derivative 0
 * @param raw unconstrained parameters [n, f, 3K−1]
 * @returns outputs [n, f] and element-wise log dy/dx [n, f]
 */
export function rqsForward(x: tf.Tensor2D, raw: tf.Tensor3D, o: RqsOptions): { y: tf.Tensor2D; logDet: tf.Tensor2D } {
  return tf.tidy(() => {
    const B = o.tailBound;
    const { xk, yk, dk } = rqsKnots(raw, o);
    const inside = insideMask(x, B);
    const v = tf.clipByValue(x, -B, B);
    const oh = binOneHot(v, xk);
    const [x0, x1] = pick(oh, xk);
    const [y0, y1] = pick(oh, yk);
    const [d0, d1] = pick(oh, dk);
    const w = tf.sub(x1, x0);
    const h = tf.sub(y1, y0);
    const s = tf.div(h, w);
    const xi = tf.clipByValue(tf.div(tf.sub(v, x0), w), 0, 1);
    const xo = tf.mul(xi, tf.sub(1, xi));
    const num = tf.mul(h, tf.add(tf.mul(s, tf.square(xi)), tf.mul(d0, xo)));
    const den = tf.add(s, tf.mul(tf.sub(tf.add(d0, d1), tf.mul(2, s)), xo));
    const ys = tf.add(y0, tf.div(num, den));
    const ld = logDerivative(xi, s, d0, d1);
    const outside = tf.sub(1, inside);
    return {
      y: tf.add(tf.mul(inside, ys), tf.mul(outside, x)) as tf.Tensor2D,
      logDet: tf.mul(inside, ld) as tf.Tensor2D,
    };
  });
}

/**
 * Inverse spline x = g⁻¹(y) element-wise, by the numerically stable root of the quadratic
 * (Durkan et al. 2019, eqs. 6–8).
 * @returns inputs [n, f] and element-wise log dx/dy [n, f] (minus the forward one)
 */
export function rqsInverse(y: tf.Tensor2D, raw: tf.Tensor3D, o: RqsOptions): { x: tf.Tensor2D; logDet: tf.Tensor2D } {
  return tf.tidy(() => {
    const B = o.tailBound;
    const { xk, yk, dk } = rqsKnots(raw, o);
    const inside = insideMask(y, B);
    const v = tf.clipByValue(y, -B, B);
    const oh = binOneHot(v, yk);
    const [x0, x1] = pick(oh, xk);
    const [y0, y1] = pick(oh, yk);
    const [d0, d1] = pick(oh, dk);
    const w = tf.sub(x1, x0);
    const h = tf.sub(y1, y0);
    const s = tf.div(h, w);
    const delta = tf.sub(v, y0);
    const t = tf.sub(tf.add(d0, d1), tf.mul(2, s));
    const a = tf.add(tf.mul(h, tf.sub(s, d0)), tf.mul(delta, t));
    const b = tf.sub(tf.mul(h, d0), tf.mul(delta, t));
    const c = tf.neg(tf.mul(s, delta));
    const disc = tf.relu(tf.sub(tf.square(b), tf.mul(4, tf.mul(a, c))));
    const xi = tf.clipByValue(tf.div(tf.mul(2, c), tf.sub(tf.neg(b), tf.sqrt(disc))), 0, 1);
    const xs = tf.add(x0, tf.mul(xi, w));
    const ld = logDerivative(xi, s, d0, d1);
    const outside = tf.sub(1, inside);
    return {
      x: tf.add(tf.mul(inside, xs), tf.mul(outside, y)) as tf.Tensor2D,
      logDet: tf.neg(tf.mul(inside, ld)) as tf.Tensor2D,
    };
  });
}
