/**
 * The one-dimensional "camel back" toy of GANplifying (Butter et al., arXiv:2008.06545;
 * field-reference.md §2.7): a mixture of two Gaussians. The default (equal weights, means ±4,
 * unit widths) is calozoo's choice; the paper's exact parameters are not verified here.
 */
import { InvalidArgumentError, type Rng } from '@calozoo/core';

/** A mixture of two Gaussians. */
export interface CamelBack {
  /** Weight of the first component (the second has 1 − w). */
  weight: number;
  /** Means of the two components. */
  means: readonly [number, number];
  /** Standard deviations of the two components. */
  sigmas: readonly [number, number];
}

/** The default camel back: ½ N(−4, 1) + ½ N(4, 1). */
export const DEFAULT_CAMEL_BACK: CamelBack = { weight: 0.5, means: [-4, 4], sigmas: [1, 1] };

/**
 * Complementary error function, Numerical Recipes' Chebyshev fit `erfcc` (fractional error
 * below 1.2e-7 everywhere).
 */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** CDF of the camel back at x. */
export function camelBackCdf(x: number, c: CamelBack = DEFAULT_CAMEL_BACK): number {
  return c.weight * normalCdf((x - c.means[0]) / c.sigmas[0]) + (1 - c.weight) * normalCdf((x - c.means[1]) / c.sigmas[1]);
}

/** The p-quantile of the camel back (bisection on the CDF to 1e-12 in x). */
export function camelBackQuantile(p: number, c: CamelBack = DEFAULT_CAMEL_BACK): number {
  if (!(p > 0 && p < 1)) throw new InvalidArgumentError(`camelBackQuantile: p must be in (0, 1), got ${p}`);
  let lo = Math.min(c.means[0], c.means[1]) - 40 * Math.max(c.sigmas[0], c.sigmas[1]);
  let hi = Math.max(c.means[0], c.means[1]) + 40 * Math.max(c.sigmas[0], c.sigmas[1]);
  while (hi - lo > 1e-12 * Math.max(1, Math.abs(lo) + Math.abs(hi))) {
    const mid = 0.5 * (lo + hi);
    if (camelBackCdf(mid, c) < p) lo = mid;
    else hi = mid;
  }
  return 0.5 * (lo + hi);
}

/** Draws n values from the camel back. */
export function sampleCamelBack(rng: Rng, n: number, c: CamelBack = DEFAULT_CAMEL_BACK): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const k = rng.uniform() < c.weight ? 0 : 1;
    out[i] = c.means[k] + c.sigmas[k] * rng.normal();
  }
  return out;
}
