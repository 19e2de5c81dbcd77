/**
 * Turns training showers into the arrays CaloMan's three phases read: standardised EPL values
 * and energy context, VAE inputs (transformed within-layer fractions, in memory or streamed from
 * the file) and the train/validation split. Everything is a deterministic function of the
 * showers, the config and the seed.
 */
import {
  Rng,
  ShowerDataset,
  datasetBatches,
  layerSlices,
  shuffledRows,
  toLayerFractions,
  type BatchSource,
  type Geometry,
  type LayerSlice,
  type ShowerBatch,
  type ShowerFile,
  type ShowerSource,
  type Showers,
} from '@calozoo/core';
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

/** A batch of VAE inputs: dataset rows and their transformed within-layer fractions [rows, V]. */
export interface VoxelBatch {
  rows: Uint32Array;
  x: Float32Array;
}

/** Where the VAE inputs come from: an array in memory, or the file, streamed (bounded memory). */
interface VoxelInputs {
  /** Whether the inputs are read from the file batch by batch. */
  readonly streamed: boolean;
  /** Shuffled training batches of `batchSize` rows, epoch by epoch. */
  training(batchSize: number): BatchSource<VoxelBatch>;
  /** The validation rows (ascending), or every row, in chunks of at most `chunk` rows, in order. */
  inOrder(which: 'validation' | 'all', chunk: number): AsyncIterable<VoxelBatch>;
}

/** The arrays of one training run (everything but the voxel inputs is O(n·layers)). */
export interface TrainingData {
  /** Number of showers (train + validation). */
  n: number;
  layers: number;
  voxels: number;
  energy: Float32Array;
  /** Deposited energy after the threshold (sum of the layer energies), MeV [n]. */
  deposited: Float64Array;
  /** Standardised EPL values [n, L]. */
  u: Float32Array;
  /** Standardised context [n, 1]. */
  c: Float32Array;
  /** The VAE inputs. */
  x: VoxelInputs;
  /** Per-voxel min and max of the fractions on the training split. */
  fractionLo: Float32Array;
  fractionHi: Float32Array;
  /** Rows of the training and validation splits (ascending). */
  trainRows: Uint32Array;
  validationRows: Uint32Array;
}

/** Identity standardiser on d columns (untrained models). */
export function identityStandardiser(d: number): Standardiser {
  return { shift: new Array(d).fill(0), scale: new Array(d).fill(1) };
}

/** Whether a source is an open shower file (it can then be streamed through a `ShowerDataset`). */
function isShowerFile(s: ShowerSource): s is ShowerFile {
  const f = s as Partial<ShowerFile>;
  return typeof f.path === 'string' && 'chunkRows' in f && typeof f.close === 'function';
}

/**
 * Thresholded showers → within-layer fractions and layer energies; with `owned` the showers'
 * values array (a batch copy nobody else holds) is overwritten instead of copied twice.
 */
function fractionsOf(s: Showers, slices: LayerSlice[], config: CaloManConfig, owned = false): { layerEnergy: Float64Array; fractions: Float32Array } {
  const values = thresholded(s.values.subarray(0, s.n * s.voxels), config.thresholdMeV, { inPlace: owned });
  return toLayerFractions(values, s.n, s.voxels, slices, { inPlace: owned });
}

/** Extends per-voxel [lo, hi] by the fractions of the rows of `s` that `keep` selects. */
function widenRange(lo: Float32Array, hi: Float32Array, fractions: Float32Array, V: number, keep: (i: number) => boolean, n: number): void {
  for (let i = 0; i < n; i++) {
    if (!keep(i)) continue;
    for (let v = 0; v < V; v++) {
      const f = fractions[i * V + v]!;
      if (f < lo[v]!) lo[v] = f;
      if (f > hi[v]!) hi[v] = f;
    }
  }
}

/** The VAE inputs of an in-memory set. */
function memoryInputs(x: Float32Array, V: number, trainRows: Uint32Array, validationRows: Uint32Array, n: number): VoxelInputs {
  const batch = (rows: Uint32Array): VoxelBatch => ({ rows, x: gatherRows(x, V, rows) });
  return {
    streamed: false,
    training(batchSize) {
      const src = shuffledRows(trainRows.length, batchSize, { rows: trainRows });
      return { steps: src.steps, *epoch(e, from, rng) { for (const rows of src.epoch(e, from, rng) as Iterable<Uint32Array>) yield batch(rows); } };
    },
    async *inOrder(which, chunk) {
      const rows = which === 'validation' ? validationRows : Uint32Array.from({ length: n }, (_, i) => i);
      for (let i = 0; i < rows.length; i += chunk) yield batch(rows.subarray(i, i + chunk));
    },
  };
}

/** The VAE inputs read from the file through a `ShowerDataset`: memory bounded by its shuffle buffer. */
function streamedInputs(ds: ShowerDataset, slices: LayerSlice[], config: CaloManConfig, trainRows: Uint32Array, validationRows: Uint32Array): VoxelInputs {
  const train = ds.subset(trainRows);
  const val = ds.subset(validationRows);
  // Batches share buffers (`reuse`) and are transformed in place: each is used within its
  // training step or encoding pass before the next is read, and `rows` is copied out.
  const toBatch = (b: ShowerBatch): VoxelBatch => ({ rows: Uint32Array.from(b.indices), x: voxelForward(fractionsOf(b, slices, config, true).fractions, config.voxelTransform) });
  return {
    streamed: true,
    training(batchSize) {
      const src = datasetBatches(train, batchSize, { reuse: true });
      return { steps: src.steps, async *epoch(e, from, rng) { for await (const b of src.epoch(e, from, rng)) yield toBatch(b); } };
    },
    async *inOrder(which, chunk) {
      for await (const b of (which === 'validation' ? val : ds).batches(chunk, { reuse: true })) yield toBatch(b);
    },
  };
}

/** Shuffle buffer of streamed training showers. */
const STREAM_SHUFFLE_BYTES = 64 << 20;

/** Options of `prepareTrainingData`. */
export interface PrepareOptions {
  seed: number;
  validationFraction: number;
  /** A file whose showers take more bytes than this is streamed; a smaller set is read into memory. */
  memoryBudgetBytes: number;
}

/**
 * Prepares the arrays of a training run and fits the EPL and context standardisers on the
 * training split. A file larger than the memory budget is read twice per epoch at most, in
 * blocks: once here for the per-shower sums, then by the VAE's batches; everything else held in
 * memory is O(n·layers + voxels).
 */
export async function prepareTrainingData(
  source: ShowerSource,
  geometry: Geometry,
  config: CaloManConfig,
  options: PrepareOptions,
): Promise<{ data: TrainingData; prep: Pick<Preprocessing, 'epl' | 'eplRange' | 'context'> }> {
  const slices = layerSlices(geometry);
  const L = slices.length;
  const n = source.n;
  const V = source.voxels;
  const perm = new Rng(options.seed, 1).permutation(n);
  const nVal = Math.min(n - 1, Math.max(1, Math.round(n * options.validationFraction)));
  const validationRows = perm.slice(0, nVal).sort();
  const trainRows = perm.slice(nVal).sort();
  const isTrain = new Uint8Array(n);
  for (const r of trainRows) isTrain[r] = 1;
  const energy = new Float32Array(n);
  const layerEnergy = new Float64Array(n * L);
  const lo = new Float32Array(V).fill(Infinity);
  const hi = new Float32Array(V).fill(-Infinity);
  let x: VoxelInputs;
  if (isShowerFile(source) && n * V * 4 > options.memoryBudgetBytes) {
    // A 64 MiB shuffle buffer (8 blocks of 8 MiB): each batch still mixes rows from 8 random
    // places in the file (peak RSS of a 100 000-shower DS2 run measured 1.82 GB, BENCHMARKS.md).
    const ds = ShowerDataset.fromFiles([source], { shuffleBufferBytes: STREAM_SHUFFLE_BYTES });
    // About 16 MiB of showers at a time.
    for await (const b of ds.batches(Math.max(64, Math.floor(2 ** 22 / V)))) {
      const { layerEnergy: le, fractions } = fractionsOf(b, slices, config, true);
      const first = b.indices[0]!;
      energy.set(b.energy.subarray(0, b.n), first);
      layerEnergy.set(le, first * L);
      widenRange(lo, hi, fractions, V, (i) => isTrain[first + i] === 1, b.n);
    }
    x = streamedInputs(ds, slices, config, trainRows, validationRows);
  } else {
    const showers = await source.readRange(0, n);
    const all = fractionsOf(showers, slices, config);
    energy.set(showers.energy.subarray(0, n));
    layerEnergy.set(all.layerEnergy);
    widenRange(lo, hi, all.fractions, V, (i) => isTrain[i] === 1, n);
    x = memoryInputs(voxelForward(all.fractions, config.voxelTransform), V, trainRows, validationRows, n);
  }
  // Only the per-shower sum is kept (the calibration's E_dep), not [n, L] doubles (36 MB on 100 000 DS2 showers).
  const deposited = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let l = 0; l < L; l++) deposited[i] += layerEnergy[i * L + l]!;
  const u = layerEnergiesToEpl(dequantisedLayerEnergies(layerEnergy, config.thresholdMeV, options.seed), energy, n, L, config.eplTransform, config.eplFloor);
  const c = energyContext(energy);
  const uTrain = gatherRows(u, L, trainRows);
  const eplSt = fitStandardiser(uTrain, trainRows.length, L, config.inputScaling);
  const eplRange = { lo: new Array<number>(L).fill(Infinity), hi: new Array<number>(L).fill(-Infinity) };
  for (let i = 0; i < uTrain.length; i++) {
    eplRange.lo[i % L] = Math.min(eplRange.lo[i % L]!, uTrain[i]!);
    eplRange.hi[i % L] = Math.max(eplRange.hi[i % L]!, uTrain[i]!);
  }
  const ctxSt = fitStandardiser(gatherRows(c, 1, trainRows), trainRows.length, 1, config.inputScaling);
  standardise(u, eplSt);
  standardise(c, ctxSt);
  return {
    data: { n, layers: L, voxels: V, energy, deposited, u, c, x, fractionLo: lo, fractionHi: hi, trainRows, validationRows },
    prep: { epl: eplSt, eplRange, context: ctxSt },
  };
}

/** Empty layers are dequantised to (EMPTY_LAYER_LOW, 1) × thresholdMeV (see `dequantisedLayerEnergies`). */
export const EMPTY_LAYER_LOW = 0.05;

/**
 * After a voxel threshold t a layer holds either 0 or at least t MeV, so its energy has a point
 * mass at 0 that a flow cannot represent. Empty layers get a seeded uniform energy in
 * (0.05 t, t) instead (dequantisation); generation maps such samples back to 0 through the
 * voxel threshold, since no voxel of a layer below t can reach t.
 */
function dequantisedLayerEnergies(layerE: Float64Array, thresholdMeV: number, seed: number): Float64Array {
  if (!(thresholdMeV > 0)) return layerE;
  const rng = new Rng(seed, 3);
  const low = EMPTY_LAYER_LOW;
  return layerE.map((e) => (e > 0 ? e : thresholdMeV * (low + (1 - low) * rng.uniform())));
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
