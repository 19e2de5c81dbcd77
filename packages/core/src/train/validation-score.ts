/**
 * The validation score of an epoch: how far showers generated for the held-out incident energies
 * are from the held-out showers, as the mean separation power (field-reference.md §2.3,
 * S = ½ Σ (h − g)² / (h + g), 0 = identical, 1 = disjoint) of three per-shower features:
 * E_dep/E_inc (the energy response the constrainer targets), the longitudinal centre of gravity
 * (energy-weighted mean layer index) and the fraction of cells hit (sparsity, where ReLU
 * generators fail first). Each histogram has 30 uniform bins over the held-out showers' range;
 * generated values outside it count in the edge bins, so a collapsed generator scores near 1.
 *
 * Why not the critic's own Wasserstein estimate: the critic changes every step and a stronger
 * critic reports a larger distance for the same generator, so the estimate cannot rank epochs;
 * it is recorded beside the score (`wasserstein`) for monitoring only.
 */
import { layerSlices } from '../geometry/centres.js';
import type { Geometry } from '../geometry/types.js';

/** Histogram bins of each feature. */
const VALIDATION_BINS = 30;

/** The three features of n showers (MeV), one array each, and the showers' incident energies (MeV). */
export interface ShowerFeatures {
  response: Float64Array;
  centre: Float64Array;
  sparsity: Float64Array;
  energy: Float64Array;
}

/** Layer index of every voxel of a geometry. */
export function voxelLayers(geometry: Geometry): Int32Array {
  const out = new Int32Array(geometry.voxels);
  layerSlices(geometry).forEach((s, l) => out.fill(l, s.start, s.end));
  return out;
}

/**
 * Features of `n` showers in `values` (row-major, `layers.length` voxels each) with incident
 * energies `energy` (MeV); a cell counts as hit when its deposit exceeds `hitThreshold` (MeV,
 * 0: any positive deposit).
 */
export function showerFeatures(values: Float32Array, energy: ArrayLike<number>, layers: Int32Array, hitThreshold = 0): ShowerFeatures {
  const V = layers.length;
  const n = energy.length;
  const f: ShowerFeatures = { response: new Float64Array(n), centre: new Float64Array(n), sparsity: new Float64Array(n), energy: Float64Array.from(energy) };
  for (let i = 0; i < n; i++) {
    let sum = 0;
    let moment = 0;
    let hits = 0;
    for (let v = 0; v < V; v++) {
      const x = values[i * V + v]!;
      if (x > 0) {
        sum += x;
        moment += x * layers[v]!;
        if (x >= hitThreshold) hits++;
      }
    }
    f.response[i] = sum / energy[i]!;
    f.centre[i] = sum > 0 ? moment / sum : 0;
    f.sparsity[i] = hits / V;
  }
  return f;
}

/** Concatenates feature sets. */
export function concatFeatures(parts: readonly ShowerFeatures[]): ShowerFeatures {
  const cat = (k: keyof ShowerFeatures): Float64Array => {
    const out = new Float64Array(parts.reduce((a, p) => a + p[k].length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p[k], at);
      at += p[k].length;
    }
    return out;
  };
  return { response: cat('response'), centre: cat('centre'), sparsity: cat('sparsity'), energy: cat('energy') };
}

/**
 * The data's readout threshold: the smallest positive deposit (MeV) of the `rows` showers
 * (0 when all are empty). Cells below it are empty in the data, so the validation counts a
 * generated cell as hit only from there (`validationHitThreshold`).
 */
export function readoutThreshold(values: Float32Array, voxels: number, rows: ArrayLike<number>): number {
  let min = Infinity;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    for (let v = r * voxels; v < (r + 1) * voxels; v++) {
      const x = values[v]!;
      if (x > 0 && x < min) min = x;
    }
  }
  return Number.isFinite(min) ? min : 0;
}

/** Unit-sum histogram of `x` in `bins` uniform bins on [lo, hi], values outside counted in the edge bins. */
function histogram(x: Float64Array, lo: number, hi: number, bins: number): Float64Array {
  const h = new Float64Array(bins);
  const width = hi > lo ? (hi - lo) / bins : 1;
  for (const v of x) {
    const b = Number.isFinite(v) ? Math.min(bins - 1, Math.max(0, Math.floor((v - lo) / width))) : bins - 1;
    h[b]! += 1;
  }
  for (let b = 0; b < bins; b++) h[b]! /= Math.max(1, x.length);
  return h;
}

/** Separation power ½ Σ (h − g)² / (h + g) of `generated` against `reference` on the reference's range. */
export function separationPower(reference: Float64Array, generated: Float64Array, bins = VALIDATION_BINS): number {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of reference) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const h = histogram(reference, lo, hi, bins);
  const g = histogram(generated, lo, hi, bins);
  let s = 0;
  for (let b = 0; b < bins; b++) s += (h[b]! - g[b]!) ** 2 / (h[b]! + g[b]! + 1e-16);
  return 0.5 * s;
}

/**
 * The mean separation power of E_dep/E_inc within `groups` groups of showers by incident energy
 * (equal counts, in order of the reference's energies; `generated` holds showers for the same
 * energies in the same order): the energy response and resolution per energy, which the
 * all-energy histogram mixes.
 */
export function responsePerEnergy(reference: ShowerFeatures, generated: ShowerFeatures, groups: number): number {
  const n = reference.response.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => reference.energy[a]! - reference.energy[b]!);
  const G = Math.max(1, Math.min(groups, Math.floor(n / 20)));
  let s = 0;
  for (let g = 0; g < G; g++) {
    const idx = order.slice(Math.floor((g * n) / G), Math.floor(((g + 1) * n) / G));
    s += separationPower(Float64Array.from(idx, (i) => reference.response[i]!), Float64Array.from(idx, (i) => generated.response[i]!));
  }
  return s / G;
}

/**
 * Separation powers of each feature and their mean (the score; lower is better). With
 * `energyGroups` > 0 the response also enters per energy group (`responsePerEnergy`), as a fourth
 * term of the mean.
 */
export function validationScore(
  reference: ShowerFeatures, generated: ShowerFeatures, energyGroups = 0,
): { score: number; response: number; centre: number; sparsity: number; responsePerEnergy?: number } {
  const response = separationPower(reference.response, generated.response);
  const centre = separationPower(reference.centre, generated.centre);
  const sparsity = separationPower(reference.sparsity, generated.sparsity);
  if (energyGroups > 0) {
    const perEnergy = responsePerEnergy(reference, generated, energyGroups);
    return { score: (response + perEnergy + centre + sparsity) / 4, response, centre, sparsity, responsePerEnergy: perEnergy };
  }
  return { score: (response + centre + sparsity) / 3, response, centre, sparsity };
}
