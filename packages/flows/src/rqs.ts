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

/**
 * Builds knots from raw parameters [n, f, 3K−1] laid out as [widths | heights | derivatives]:
 * `w_k = m_w + (1 − K m_w) softmax(θ^w)_k`, cumulated and scaled to [−B, B] with the endpoints
 * set to exactly ±B (likewise heights); interior derivatives `m_d + softplus(θ^d)`, boundary
 * derivatives 1 so that the spline joins the identity tails with C¹ continuity.
 */
export function rqsKnots(raw: tf.Tensor3D, o: RqsOptions): RqsKnots {
  const { xk, yk, dk } = tf.tidy(() => {
    const parts = tf.unstack(knotStack(raw, o), 2) as tf.Tensor3D[];
    return { xk: parts[0], yk: parts[1], dk: parts[2] };
  });
  return { xk, yk, dk };
}

/** Knots stacked as [n, f, 3, K+1]: x-knots, y-knots, derivatives (one tensor keeps the op count low). */
function knotStack(raw: tf.Tensor3D, o: RqsOptions): tf.Tensor4D {
  checkOptions(raw, o);
  const K = o.bins;
  const B = o.tailBound;
  const [n, f] = raw.shape;
  // Widths and heights share MIN_BIN_WIDTH = MIN_BIN_HEIGHT, so both go through one softmax.
  const logits = tf.reshape(tf.slice(raw, [0, 0, 0], [n, f, 2 * K]), [n, f, 2, K]);
  const sizes = tf.add(MIN_BIN_WIDTH, tf.mul(1 - MIN_BIN_WIDTH * K, tf.softmax(logits)));
  const interior = tf.slice(tf.cumsum(sizes, 3), [0, 0, 0, 0], [n, f, 2, K - 1]);
  // Endpoints are exactly 0 and 1 (→ ±B), not taken from the cumulative sum (nflows does the same).
  const unit = tf.concat([tf.zeros([n, f, 2, 1]), interior, tf.ones([n, f, 2, 1])], 3);
  const knots = tf.sub(tf.mul(2 * B, unit), B);
  const ones = tf.ones([n, f, 1]);
  const d =
    K > 1 ? tf.concat([ones, tf.add(MIN_DERIVATIVE, tf.softplus(tf.slice(raw, [0, 0, 2 * K], [n, f, K - 1]))), ones], 2) : tf.concat([ones, ones], 2);
  return tf.concat([knots, tf.expandDims(d, 2)], 2) as tf.Tensor4D;
}

/** Per-bin quantities gathered for each input: left knot, right knot and derivatives, each [n, f]. */
interface Bin {
  x0: tf.Tensor;
  x1: tf.Tensor;
  y0: tf.Tensor;
  y1: tf.Tensor;
  d0: tf.Tensor;
  d1: tf.Tensor;
}

/**
 * Selects the bin containing v (already clamped to [−B, B]) among the knots of row `axis` (0: x,
 * 1: y) of the stack: bin = (number of knots ≤ v) − 1, with KNOT_SEARCH_EPS added to the last
 * knot, turned into a one-hot by differencing the comparisons, then a masked sum per quantity.
 */
function selectBin(v: tf.Tensor2D, stack: tf.Tensor4D, axis: 0 | 1): Bin {
  const [n, f, , K1] = stack.shape;
  const K = K1 - 1;
  const bump = new Float32Array(K1);
  bump[K] = KNOT_SEARCH_EPS;
  const searched = tf.reshape(tf.slice(stack, [0, 0, axis, 0], [n, f, 1, K1]), [n, f, K1]);
  const ge = tf.cast(tf.greaterEqual(tf.expandDims(v, 2), tf.add(searched, tf.tensor1d(bump))), 'float32');
  const oneHot = tf.expandDims(tf.sub(tf.slice(ge, [0, 0, 0], [n, f, K]), tf.slice(ge, [0, 0, 1], [n, f, K])), 2);
  const left = tf.sum(tf.mul(oneHot, tf.slice(stack, [0, 0, 0, 0], [n, f, 3, K])), 3);
  const right = tf.sum(tf.mul(oneHot, tf.slice(stack, [0, 0, 0, 1], [n, f, 3, K])), 3);
  const [x0, y0, d0] = tf.unstack(left, 2);
  const [x1, y1, d1] = tf.unstack(right, 2);
  return { x0, x1, y0, y1, d0, d1 };
}

/** 1 where −B ≤ v ≤ B, else 0; built from GreaterEqual only, which has a (zero) gradient in tfjs. */
function insideMask(v: tf.Tensor2D, B: number): tf.Tensor2D {
  return tf.mul(tf.cast(tf.greaterEqual(v, -B), 'float32'), tf.cast(tf.greaterEqual(tf.scalar(B), v), 'float32'));
}

/** A clamped input's bin with its width w, height h and slope s = h / w, each [n, f]. */
interface Located extends Bin {
  /** 1 where the input lies in [−B, B], else 0. */
  inside: tf.Tensor2D;
  /** The input clamped to [−B, B]. */
  v: tf.Tensor2D;
  w: tf.Tensor;
  h: tf.Tensor;
  s: tf.Tensor;
}

/** Clamps `t` to [−B, B] and finds its bin among the x-knots (axis 0, forward) or y-knots (axis 1, inverse). */
function locate(t: tf.Tensor2D, raw: tf.Tensor3D, o: RqsOptions, axis: 0 | 1): Located {
  const B = o.tailBound;
  const inside = insideMask(t, B);
  const v = tf.clipByValue(t, -B, B);
  const bin = selectBin(v, knotStack(raw, o), axis);
  const w = tf.sub(bin.x1, bin.x0);
  const h = tf.sub(bin.y1, bin.y0);
  return { ...bin, inside, v, w, h, s: tf.div(h, w) };
}

/** inside · spline + (1 − inside) · identity: the linear tails outside [−B, B]. */
function withTails(inside: tf.Tensor2D, spline: tf.Tensor, identity: tf.Tensor2D): tf.Tensor2D {
  return tf.add(tf.mul(inside, spline), tf.mul(tf.sub(1, inside), identity)) as tf.Tensor2D;
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
    const { inside, v, x0, y0, d0, d1, w, h, s } = locate(x, raw, o, 0);
    const xi = tf.clipByValue(tf.div(tf.sub(v, x0), w), 0, 1);
    const xo = tf.mul(xi, tf.sub(1, xi));
    const num = tf.mul(h, tf.add(tf.mul(s, tf.square(xi)), tf.mul(d0, xo)));
    const den = tf.add(s, tf.mul(tf.sub(tf.add(d0, d1), tf.mul(2, s)), xo));
    const ys = tf.add(y0, tf.div(num, den));
    return { y: withTails(inside, ys, x), logDet: tf.mul(inside, logDerivative(xi, s, d0, d1)) as tf.Tensor2D };
  });
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
    return { x: withTails(inside, xs, y), logDet: tf.neg(tf.mul(inside, logDerivative(xi, s, d0, d1))) as tf.Tensor2D };
  });
}
