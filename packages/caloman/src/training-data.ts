/**
 * Turns training showers into the arrays CaloMan's three phases read: standardised EPL values
 * and energy context, VAE inputs (transformed within-layer fractions) and the train/validation
 * split. Everything is a deterministic function of the showers, the config and the seed.
 */
import { Rng, layerSlices, toLayerFractions, type Geometry, type Showers } from '@calozoo/core';
import type { CaloManConfig } from './configs.js';
import { energyContext, fitStandardiser, layerEnergiesToEpl, standardise, thresholded, voxelForward, type Standardiser } from './preprocess.js';

/** Preprocessing constants fitted on the training split (written to config.json). */
export interface Preprocessing {
  /** Standardiser of the EPL values u (one column per layer). */
  epl: Standardiser;
  /** Range of the raw EPL values per layer on the training split; samples are clipped to it. */
  eplRange: { lo: number[]; hi: number[] };
  /** Standardiser of the context c = log10(E_inc). */
  context: Standardiser;
  /** Standardiser of the latent vectors the latent flow is trained on. */
  latent: Standardiser;
}

/** The arrays of one training run. */
export interface TrainingData {
  /** Number of showers (train + validation). */
  n: number;
  layers: number;
  voxels: number;
  energy: Float32Array;
  /** Layer energies after the threshold, MeV [n, L]. */
  layerEnergy: Float64Array;
  /** Standardised EPL values [n, L]. */
  u: Float32Array;
  /** Standardised context [n, 1]. */
  c: Float32Array;
  /** Transformed within-layer fractions [n, V]. */
  x: Float32Array;
  /** Per-voxel min and max of the fractions on the training split. */
  fractionLo: Float32Array;
  fractionHi: Float32Array;
  /** Rows of the training and validation splits. */
  trainRows: Uint32Array;
  validationRows: Uint32Array;
}

/** Identity standardiser on d columns (untrained models). */
export function identityStandardiser(d: number): Standardiser {
  return { shift: new Array(d).fill(0), scale: new Array(d).fill(1) };
}

function rowsOf(x: Float32Array, d: number, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(x.subarray(rows[i] * d, rows[i] * d + d), i * d);
  return out;
}

/** Prepares the arrays and fits the EPL and context standardisers on the training split. */
export function prepareTrainingData(
  showers: Showers,
  geometry: Geometry,
  config: CaloManConfig,
  seed: number,
  validationFraction: number,
): { data: TrainingData; prep: Pick<Preprocessing, 'epl' | 'eplRange' | 'context'> } {
  const slices = layerSlices(geometry);
  const L = slices.length;
  const n = showers.n;
  const V = showers.voxels;
  const values = thresholded(showers.values.subarray(0, n * V), config.thresholdMeV);
  const { layerEnergy, fractions } = toLayerFractions(values, n, V, slices);
  const perm = new Rng(seed, 1).permutation(n);
  const nVal = Math.min(n - 1, Math.max(1, Math.round(n * validationFraction)));
  const validationRows = perm.slice(0, nVal).sort();
  const trainRows = perm.slice(nVal).sort();
  const energy = showers.energy.slice(0, n);
  const u = layerEnergiesToEpl(dequantisedLayerEnergies(layerEnergy, config.thresholdMeV, seed), energy, n, L, config.eplTransform);
  const c = energyContext(energy);
  const uTrain = rowsOf(u, L, trainRows);
  const eplSt = fitStandardiser(uTrain, trainRows.length, L, config.inputScaling);
  const eplRange = { lo: new Array<number>(L).fill(Infinity), hi: new Array<number>(L).fill(-Infinity) };
  for (let i = 0; i < uTrain.length; i++) {
    eplRange.lo[i % L] = Math.min(eplRange.lo[i % L], uTrain[i]);
    eplRange.hi[i % L] = Math.max(eplRange.hi[i % L], uTrain[i]);
  }
  const ctxSt = fitStandardiser(rowsOf(c, 1, trainRows), trainRows.length, 1, config.inputScaling);
  standardise(u, eplSt);
  standardise(c, ctxSt);
  const lo = new Float32Array(V).fill(Infinity);
  const hi = new Float32Array(V).fill(-Infinity);
  for (const r of trainRows) {
    for (let v = 0; v < V; v++) {
      const f = fractions[r * V + v];
      if (f < lo[v]) lo[v] = f;
      if (f > hi[v]) hi[v] = f;
    }
  }
  const x = voxelForward(fractions, config.voxelTransform);
  return {
    data: { n, layers: L, voxels: V, energy, layerEnergy, u, c, x, fractionLo: lo, fractionHi: hi, trainRows, validationRows },
    prep: { epl: eplSt, eplRange, context: ctxSt },
  };
}

/**
 * After a voxel threshold t a layer holds either 0 or at least t MeV, so its energy has a point
 * mass at 0 that a flow cannot represent. Empty layers get a seeded uniform energy in
 * (0.05 t, t) instead (dequantisation); generation maps such samples back to 0 through the
 * voxel threshold, since no voxel of a layer below t can reach t.
 */
export function dequantisedLayerEnergies(layerE: Float64Array, thresholdMeV: number, seed: number): Float64Array {
  if (!(thresholdMeV > 0)) return layerE;
  const rng = new Rng(seed, 3);
  return layerE.map((e) => (e > 0 ? e : thresholdMeV * (0.05 + 0.95 * rng.uniform())));
}

/** Copies rows `rows` (optionally mapped through `map`) of a [*, d] array into a new array. */
export function gatherRows(x: Float32Array, d: number, rows: ArrayLike<number>, map?: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) {
    const r = map ? map[rows[i]] : rows[i];
    out.set(x.subarray(r * d, r * d + d), i * d);
  }
  return out;
}

/** Concatenates the context [n, 1] and EPL values [n, L] of `rows` into the VAE condition [n, 1 + L]. */
export function conditionRows(data: TrainingData, rows: ArrayLike<number>, map?: Uint32Array): Float32Array {
  const L = data.layers;
  const out = new Float32Array(rows.length * (1 + L));
  for (let i = 0; i < rows.length; i++) {
    const r = map ? map[rows[i]] : rows[i];
    out[i * (1 + L)] = data.c[r];
    for (let l = 0; l < L; l++) out[i * (1 + L) + 1 + l] = data.u[r * L + l];
  }
  return out;
}
