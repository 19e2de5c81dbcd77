/**
 * Allocation-free normal and gamma draws for the simulator's inner loops. `Rng.normal()` caches
 * its second variate in an object field that also holds `null`, which makes V8 box every cached
 * double (a heap allocation per pair); at millions of draws per second that garbage dominates.
 * These helpers take only `rng.uniform()` draws and keep no state, so results still depend on
 * (seed, stream) alone.
 */
import type { Rng } from '@calozoo/core';

/** Standard normal draw (Marsaglia polar method, second variate discarded). */
export function normal(rng: Rng): number {
  for (;;) {
    const u = 2 * rng.uniform() - 1;
    const v = 2 * rng.uniform() - 1;
    const s = u * u + v * v;
    if (s < 1 && s > 0) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}

/** Gamma draw with shape k > 0 and scale theta (Marsaglia & Tsang 2000; k < 1 via U^(1/k) boost). */
export function gamma(rng: Rng, k: number, theta: number): number {
  let boost = 1;
  if (k < 1) {
    boost = Math.pow(rng.uniform() + 1e-12, 1 / k);
    k += 1;
  }
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(rng);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform() + 1e-12;
    const x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2 || Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v * theta * boost;
  }
}

/** Beta(a, b) draw from two gamma draws. */
export function beta(rng: Rng, a: number, b: number): number {
  const x = gamma(rng, a, 1);
  return x / (x + gamma(rng, b, 1));
}
