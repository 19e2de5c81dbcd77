/**
 * Preprocessing shared by models, each with its exact inverse: energy normalisation per
 * incident energy, log and logit transforms with documented epsilons, per-layer energy
 * fractions. Pure functions over typed arrays (row-major showers).
 */
import { InvalidArgumentError } from '../errors.js';
import type { LayerSlice } from '../geometry/types.js';

/** Default epsilon of the logit transform, as CaloMan's DS2/3 path (field-reference.md §4.7). */
export const LOGIT_EPSILON = 1e-6;
/** Default offset of the log transform (MeV-scale inputs). */
export const LOG_EPSILON = 1e-6;

function checkShape(values: ArrayLike<number>, n: number, voxels: number, fn: string): void {
  if (values.length !== n * voxels) throw new InvalidArgumentError(`${fn}: values has ${values.length} entries, expected n·voxels = ${n}·${voxels}`);
}

/** Divides every shower by its incident energy (x / E_inc); returns a new array. */
export function normaliseByIncidentEnergy(values: Float32Array, energy: Float32Array, voxels: number): Float32Array {
  checkShape(values, energy.length, voxels, 'normaliseByIncidentEnergy');
  const out = new Float32Array(values.length);
  for (let i = 0; i < energy.length; i++) {
    const inv = 1 / energy[i];
    for (let v = 0, o = i * voxels; v < voxels; v++) out[o + v] = values[o + v] * inv;
  }
  return out;
}

/** Inverse of `normaliseByIncidentEnergy`: multiplies every shower by its incident energy. */
export function denormaliseByIncidentEnergy(values: Float32Array, energy: Float32Array, voxels: number): Float32Array {
  checkShape(values, energy.length, voxels, 'denormaliseByIncidentEnergy');
  const out = new Float32Array(values.length);
  for (let i = 0; i < energy.length; i++) {
    const e = energy[i];
    for (let v = 0, o = i * voxels; v < voxels; v++) out[o + v] = values[o + v] * e;
  }
  return out;
}

/** y = ln(x + eps), element-wise. */
export function logTransform(x: Float32Array, eps = LOG_EPSILON): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.log(x[i] + eps);
  return out;
}

/** Inverse of `logTransform`: x = exp(y) − eps, clipped at 0. */
export function inverseLogTransform(y: Float32Array, eps = LOG_EPSILON): Float32Array {
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = Math.max(0, Math.exp(y[i]) - eps);
  return out;
}

/** y = logit(eps + (1 − 2eps)·x) for x in [0, 1] (CaloMan/CaloFlow convention). */
export function logitTransform(x: Float32Array, eps = LOGIT_EPSILON): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const p = eps + (1 - 2 * eps) * x[i];
    out[i] = Math.log(p / (1 - p));
  }
  return out;
}

/** Inverse of `logitTransform`: x = (sigmoid(y) − eps)/(1 − 2eps), clipped to [0, 1]. */
export function inverseLogitTransform(y: Float32Array, eps = LOGIT_EPSILON): Float32Array {
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const p = 1 / (1 + Math.exp(-y[i]));
    out[i] = Math.min(1, Math.max(0, (p - eps) / (1 - 2 * eps)));
  }
  return out;
}

/** Per-layer energies [n, layers] of showers [n, voxels]. */
export function layerEnergies(values: Float32Array, n: number, voxels: number, slices: readonly LayerSlice[]): Float64Array {
  checkShape(values, n, voxels, 'layerEnergies');
  const L = slices.length;
  const out = new Float64Array(n * L);
  for (let i = 0; i < n; i++) {
    const o = i * voxels;
    for (let l = 0; l < L; l++) {
      let s = 0;
      for (let v = slices[l].start; v < slices[l].end; v++) s += values[o + v];
      out[i * L + l] = s;
    }
  }
  return out;
}

/**
 * Splits showers into per-layer energies and within-layer fractions (each layer's voxels
 * divided by the layer energy; 0 for empty layers), CaloMan's "normalize_to_epl". With
 * `{ inPlace: true }` the fractions overwrite `values` (no second array; the layers must cover
 * every voxel).
 */
export function toLayerFractions(
  values: Float32Array,
  n: number,
  voxels: number,
  slices: readonly LayerSlice[],
  options: { inPlace?: boolean } = {},
): { layerEnergy: Float64Array; fractions: Float32Array } {
  const layerEnergy = layerEnergies(values, n, voxels, slices);
  const L = slices.length;
  if (options.inPlace && slices.reduce((a, s) => a + s.end - s.start, 0) !== voxels) {
    throw new InvalidArgumentError(`toLayerFractions: inPlace needs layers that cover all ${voxels} voxels`);
  }
  const fractions = options.inPlace ? values : new Float32Array(values.length);
  for (let i = 0; i < n; i++) {
    const o = i * voxels;
    for (let l = 0; l < L; l++) {
      const e = layerEnergy[i * L + l];
      if (e <= 0) {
        if (options.inPlace) fractions.fill(0, o + slices[l].start, o + slices[l].end);
        continue;
      }
      const inv = 1 / e;
      for (let v = slices[l].start; v < slices[l].end; v++) fractions[o + v] = values[o + v] * inv;
    }
  }
  return { layerEnergy, fractions };
}

/**
 * Inverse of `toLayerFractions`: rescales each layer's fractions so that the layer carries
 * `layerEnergy` (fractions are renormalised to sum to one first; negative fractions clipped).
 */
export function fromLayerFractions(
  fractions: Float32Array,
  layerEnergy: ArrayLike<number>,
  n: number,
  voxels: number,
  slices: readonly LayerSlice[],
): Float32Array {
  checkShape(fractions, n, voxels, 'fromLayerFractions');
  const L = slices.length;
  if (layerEnergy.length !== n * L) throw new InvalidArgumentError(`fromLayerFractions: layerEnergy has ${layerEnergy.length} entries, expected ${n}·${L}`);
  const out = new Float32Array(fractions.length);
  for (let i = 0; i < n; i++) {
    const o = i * voxels;
    for (let l = 0; l < L; l++) {
      const e = Math.max(0, layerEnergy[i * L + l]);
      let s = 0;
      for (let v = slices[l].start; v < slices[l].end; v++) s += Math.max(0, fractions[o + v]);
      if (s <= 0 || e <= 0) continue;
      const k = e / s;
      for (let v = slices[l].start; v < slices[l].end; v++) out[o + v] = Math.max(0, fractions[o + v]) * k;
    }
  }
  return out;
}

/** Sets values below `threshold` (MeV) to zero, in place; returns the array. */
export function applyThreshold(values: Float32Array, threshold: number): Float32Array {
  for (let i = 0; i < values.length; i++) if (values[i] < threshold) values[i] = 0;
  return values;
}
