/**
 * Per-observable quantile MSE for showers (field-reference.md §2.7): the cells are the empirical
 * N_q-quantiles of the reference sample's observable, p_j the reference fraction of each cell
 * (1/N_q unless the reference has ties), and MSE = (1/N_q) Σ (f_j − p_j)² for the generated
 * fractions f_j. With an empirical reference of N events, a true sample of M events has
 * E[MSE] ≈ (1/N_q)(1 − 1/N_q)(1/M + 1/N); the equivalent number of events subtracts the
 * reference's share.
 */
import { InvalidArgumentError } from '@calozoo/core';
import type { FeatureTable } from '../features/extractor.js';
import { cellFractions } from './quantile-mse.js';

/** Quantile MSE of one observable. */
export interface ObservableQuantileMse {
  /** Observable (feature column) name. */
  name: string;
  /** Cells actually used (fewer than N_q when reference quantiles coincide). */
  cells: number;
  /** Quantile MSE. */
  mse: number;
  /** Expected MSE if the generated sample were drawn from the reference distribution. */
  expectedSameDistribution: number;
  /** Size of a true sample with the same expected MSE (Infinity when below the reference's noise). */
  equivalentEvents: number;
}

/** Interior edges at the empirical N_q-quantiles of `reference` (duplicates removed). */
export function empiricalQuantileEdges(reference: ArrayLike<number>, nq: number): Float64Array {
  if (!(Number.isInteger(nq) && nq >= 2)) throw new InvalidArgumentError(`N_q must be an integer >= 2, got ${nq}`);
  const s = Float64Array.from(reference).sort();
  const edges: number[] = [];
  for (let k = 1; k < nq; k++) {
    const e = s[Math.min(s.length - 1, Math.ceil((k * s.length) / nq))];
    if (edges.length === 0 || e > edges[edges.length - 1]) edges.push(e);
  }
  return Float64Array.from(edges);
}

/** Quantile MSE of `sample` in cells from the empirical quantiles of `reference`. */
export function observableQuantileMse(reference: ArrayLike<number>, sample: ArrayLike<number>, nq: number, name = ''): ObservableQuantileMse {
  if (reference.length < nq || sample.length === 0) throw new InvalidArgumentError(`observableQuantileMse(${name}): need >= N_q = ${nq} reference values and a non-empty sample, got ${reference.length} and ${sample.length}`);
  const edges = empiricalQuantileEdges(reference, nq);
  const p = cellFractions(reference, edges);
  const f = cellFractions(sample, edges);
  const cells = p.length;
  let mse = 0;
  let v = 0;
  for (let j = 0; j < cells; j++) {
    mse += (f[j] - p[j]) ** 2;
    v += p[j] * (1 - p[j]);
  }
  mse /= cells;
  v /= cells; // (1/N_q) Σ p_j(1 − p_j)
  const refNoise = v / reference.length;
  return { name, cells, mse, expectedSameDistribution: v / sample.length + refNoise, equivalentEvents: mse > refNoise ? v / (mse - refNoise) : Infinity };
}

/** Per-observable quantile MSE of two feature tables (default: every column). */
export function showerQuantileMse(reference: FeatureTable, generated: FeatureTable, nq = 10, columns?: readonly string[]): ObservableQuantileMse[] {
  const names = columns ?? reference.schema.names;
  return names.map((name) => {
    const i = reference.schema.index[name];
    const j = generated.schema.index[name];
    if (i === undefined || j === undefined) throw new InvalidArgumentError(`showerQuantileMse: no feature "${name}" in both tables`);
    return observableQuantileMse(reference.columns[i], generated.columns[j], nq, name);
  });
}
