/**
 * GANplifying quantile MSE (Butter et al., arXiv:2008.06545; field-reference.md §2.7): the
 * support is cut into N_q cells of equal true probability 1/N_q; a sample's fractions f_j give
 * MSE = (1/N_q) Σ_j (f_j − 1/N_q)². For a true sample of size N, f_j·N is binomial, so
 * E[MSE] = (1/N_q)(1 − 1/N_q)/N, which defines the equivalent number of true events of any MSE.
 */
import { InvalidArgumentError, Rng } from '@calozoo/core';

/** The N_q − 1 interior cell edges from a quantile function: q(1/N_q), …, q((N_q − 1)/N_q). */
export function quantileEdges(quantile: (p: number) => number, nq: number): Float64Array {
  if (!(Number.isInteger(nq) && nq >= 2)) throw new InvalidArgumentError(`quantileEdges: N_q must be an integer >= 2, got ${nq}`);
  return Float64Array.from({ length: nq - 1 }, (_, k) => quantile((k + 1) / nq));
}

/** Fraction of `sample` in each of the cells (−∞, e_0), [e_0, e_1), …, [e_last, ∞). */
export function cellFractions(sample: ArrayLike<number>, edges: ArrayLike<number>): Float64Array {
  const m = edges.length;
  const counts = new Float64Array(m + 1);
  for (let i = 0; i < sample.length; i++) {
    const v = sample[i];
    let lo = 0;
    let hi = m; // cell = number of edges <= v
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] <= v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  for (let j = 0; j <= m; j++) counts[j] /= sample.length;
  return counts;
}

/**
 * Quantile MSE (1/N_q) Σ_j (f_j − p_j)² of a sample; p_j = 1/N_q unless the true cell
 * probabilities are given (e.g. cells from an empirical reference with ties).
 */
export function quantileMse(sample: ArrayLike<number>, edges: ArrayLike<number>, probabilities?: ArrayLike<number>): number {
  if (sample.length === 0) throw new InvalidArgumentError('quantileMse: empty sample');
  const f = cellFractions(sample, edges);
  const nq = f.length;
  let s = 0;
  for (let j = 0; j < nq; j++) s += (f[j] - (probabilities ? probabilities[j] : 1 / nq)) ** 2;
  return s / nq;
}

/** Expected quantile MSE of a true sample of size n: (1/N_q)(1 − 1/N_q)/n. */
export function expectedQuantileMse(nq: number, n: number): number {
  return ((1 / nq) * (1 - 1 / nq)) / n;
}

/** Size of a true sample whose expected MSE equals `mse`: (1/N_q)(1 − 1/N_q)/MSE. */
export function equivalentEvents(mse: number, nq: number): number {
  return mse > 0 ? ((1 / nq) * (1 - 1 / nq)) / mse : Infinity;
}

/** One sample size of an amplification study. */
export interface AmplificationPoint {
  /** Generated events. */
  n: number;
  /** Mean quantile MSE over the repetitions. */
  mse: number;
  /** Standard error of that mean. */
  mseError: number;
  /** Equivalent number of true events of the mean MSE. */
  equivalentEvents: number;
}

/** Result of `amplificationStudy`. */
export interface AmplificationResult {
  /** N_q. */
  nq: number;
  /** Quantile MSE of the training sample. */
  trainingMse: number;
  /** Training events. */
  trainingEvents: number;
  /** Per generated sample size. */
  points: AmplificationPoint[];
  /** Largest equivalent number of events reached, divided by the training size (> 1: amplification). */
  amplification: number;
}

/** Options of `amplificationStudy`. */
export interface AmplificationOptions {
  /** Generated sample sizes (default 10², 10³, 10⁴, 10⁵). */
  sizes?: readonly number[];
  /** Repetitions per size (default 10). */
  repetitions?: number;
  /** Seed (default 1). */
  seed?: number;
}

/**
 * Compares a generator's samples of growing size with its training sample: for each size the mean
 * quantile MSE over repetitions and its equivalent number of true events.
 */
export function amplificationStudy(
  sampler: (rng: Rng, n: number) => ArrayLike<number>,
  training: ArrayLike<number>,
  edges: ArrayLike<number>,
  options: AmplificationOptions = {},
): AmplificationResult {
  const nq = edges.length + 1;
  const sizes = options.sizes ?? [100, 1000, 10_000, 100_000];
  const reps = options.repetitions ?? 10;
  if (!(Number.isInteger(reps) && reps >= 2)) throw new InvalidArgumentError(`amplificationStudy: repetitions must be an integer >= 2, got ${reps}`);
  const rng = new Rng(options.seed ?? 1);
  const points = sizes.map((n) => {
    const v = Array.from({ length: reps }, () => quantileMse(sampler(rng, n), edges));
    const m = v.reduce((a, b) => a + b, 0) / reps;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (reps - 1));
    return { n, mse: m, mseError: sd / Math.sqrt(reps), equivalentEvents: equivalentEvents(m, nq) };
  });
  const best = Math.max(...points.map((p) => p.equivalentEvents));
  return { nq, trainingMse: quantileMse(training, edges), trainingEvents: training.length, points, amplification: best / training.length };
}
