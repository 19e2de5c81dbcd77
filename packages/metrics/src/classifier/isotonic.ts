/**
 * Isotonic regression by the pool-adjacent-violators algorithm (Ayer et al. 1955; Barlow et al.
 * 1972), reproducing `sklearn.isotonic.IsotonicRegression(out_of_bounds='clip', y_min, y_max)`
 * as the CaloChallenge classifier calibration uses it (field-reference.md §2.4 step 4): equal x
 * are pooled first (weighted mean of y), the fit is clipped to [y_min, y_max], and predictions
 * interpolate linearly between the fitted points, clipping x to the fitted range.
 */
import { InvalidArgumentError } from '@calozoo/core';

/** A fitted non-decreasing step-and-ramp function. */
export interface IsotonicModel {
  /** Distinct x values of the fit, increasing. */
  x: Float64Array;
  /** Fitted (non-decreasing, clipped) value at each x. */
  y: Float64Array;
}

/** Options of `fitIsotonic`. */
export interface IsotonicOptions {
  /** Lower clip of the fitted values (the challenge: 1e-6). */
  yMin?: number;
  /** Upper clip of the fitted values (the challenge: 1 − 1e-6). */
  yMax?: number;
  /** Per-point weights (default 1). */
  weights?: ArrayLike<number>;
}

/**
 * Weighted PAVA on values `y` with weights `w` (already ordered by x): the non-decreasing
 * sequence minimising Σ w_i (ŷ_i − y_i)². Returns the fitted values.
 */
export function pava(y: ArrayLike<number>, w: ArrayLike<number>): Float64Array {
  const n = y.length;
  const val = new Float64Array(n);
  const wt = new Float64Array(n);
  const len = new Int32Array(n);
  let top = -1;
  for (let i = 0; i < n; i++) {
    top++;
    val[top] = y[i];
    wt[top] = w[i];
    len[top] = 1;
    while (top > 0 && val[top - 1] > val[top]) {
      const ww = wt[top - 1] + wt[top];
      val[top - 1] = (wt[top - 1] * val[top - 1] + wt[top] * val[top]) / ww;
      wt[top - 1] = ww;
      len[top - 1] += len[top];
      top--;
    }
  }
  const out = new Float64Array(n);
  let at = 0;
  for (let b = 0; b <= top; b++) for (let k = 0; k < len[b]; k++) out[at++] = val[b];
  return out;
}

/** Fits a non-decreasing function of x to y (isotonic regression, clipped to [yMin, yMax]). */
export function fitIsotonic(x: ArrayLike<number>, y: ArrayLike<number>, options: IsotonicOptions = {}): IsotonicModel {
  const n = x.length;
  if (n === 0 || y.length !== n) throw new InvalidArgumentError(`fitIsotonic: need equal, non-zero numbers of x and y values, got ${n} and ${y.length}`);
  const yMin = options.yMin ?? -Infinity;
  const yMax = options.yMax ?? Infinity;
  const w = options.weights;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a] - x[b] || y[a] - y[b]);
  const ux: number[] = [];
  const uy: number[] = [];
  const uw: number[] = [];
  for (let i = 0; i < n; ) {
    let j = i;
    let sw = 0;
    let swy = 0;
    while (j < n && x[order[j]] === x[order[i]]) {
      const wi = w ? w[order[j]] : 1;
      sw += wi;
      swy += wi * y[order[j]];
      j++;
    }
    ux.push(x[order[i]]);
    uy.push(sw > 0 ? swy / sw : 0);
    uw.push(sw);
    i = j;
  }
  const fitted = pava(uy, uw);
  for (let i = 0; i < fitted.length; i++) fitted[i] = Math.min(yMax, Math.max(yMin, fitted[i]));
  return { x: Float64Array.from(ux), y: fitted };
}

/** Evaluates a fitted isotonic model at `x` (linear interpolation, x clipped to the fitted range). */
export function predictIsotonic(model: IsotonicModel, x: ArrayLike<number>): Float64Array {
  const { x: X, y: Y } = model;
  const m = X.length;
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!(v > X[0])) {
      out[i] = Y[0];
      continue;
    }
    if (v >= X[m - 1]) {
      out[i] = Y[m - 1];
      continue;
    }
    let lo = 0;
    let hi = m - 1; // X[lo] < v < X[hi]
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (X[mid] <= v) lo = mid;
      else hi = mid;
    }
    const t = (v - X[lo]) / (X[hi] - X[lo]);
    out[i] = Y[lo] + t * (Y[hi] - Y[lo]);
  }
  return out;
}
