/**
 * Fréchet Regression Distance (field-reference.md §2.7): the Fréchet distance
 * ||μ_r − μ_g||² + Tr(Σ_r + Σ_g − 2(Σ_r Σ_g)^½) between the 100 hidden activations of an energy
 * regressor on reference and generated showers, without the FPD's 1/N extrapolation. Means and
 * covariances are accumulated in float64 and the matrix square root uses the Jacobi helpers of
 * ../physics (so the value carries a positive finite-sample bias of order d/N).
 */
import { InvalidArgumentError, Rng, type Showers } from '@calozoo/core';
import { frechetDistance, meanCov } from '../physics/linalg.js';
import { FRD_FEATURES, type FrdRegressor } from './regressor.js';

/** Options of `frd`. */
export interface FrdOptions {
  /** Use at most this many showers of each sample (default all; the DESY study used ≈ 49 800). */
  maxShowers?: number;
  /** Seed of the subsample when `maxShowers` cuts a sample (default 1). */
  seed?: number;
}

/** Result of `frd`. */
export interface FrdResult {
  /** Fréchet distance of the activations. */
  value: number;
  /** Showers used per sample. */
  showers: { reference: number; generated: number };
  /** Feature dimension (100). */
  dims: number;
}

/** All rows, or `max` rows drawn without replacement. */
function subsample(n: number, max: number, rng: Rng): Uint32Array {
  if (n <= max) return Uint32Array.from({ length: n }, (_, i) => i);
  return rng.permutation(n).slice(0, max);
}

/** FRD of `generated` against `reference` with a trained regressor. */
export function frd(regressor: FrdRegressor, reference: Showers, generated: Showers, options: FrdOptions = {}): FrdResult {
  const max = options.maxShowers ?? Infinity;
  if (!(max >= 2)) throw new InvalidArgumentError(`frd: maxShowers must be >= 2, got ${max}`);
  const rng = new Rng(options.seed ?? 1);
  const r = subsample(reference.n, max, rng);
  const g = subsample(generated.n, max, rng);
  if (r.length < 2 || g.length < 2) throw new InvalidArgumentError(`frd: need at least 2 showers per sample, got ${r.length} and ${g.length}`);
  const d = FRD_FEATURES;
  const a = meanCov(regressor.features(reference, r), d);
  const b = meanCov(regressor.features(generated, g), d);
  return { value: frechetDistance(a, b, d), showers: { reference: r.length, generated: g.length }, dims: d };
}
