/**
 * The training showers of a model as network values in memory: read (up to a memory budget),
 * split into training and validation rows with a seeded permutation, encoded in a
 * representation (`preprocessing/representation.ts`), and the held-out showers' features kept as
 * the validation reference (`validation-score.ts`). Also the row gather and the readout
 * threshold that the generative models' training steps share.
 */
import { Rng } from '../rng.js';
import { tf } from '../device/tf.js';
import type { Geometry } from '../geometry/types.js';
import type { Logger, ShowerSource } from '../model/interfaces.js';
import type { Showers } from '../showers.js';
import { thresholdValues, type Representation } from '../preprocessing/representation.js';
import { readoutThreshold, showerFeatures, voxelLayers, type ShowerFeatures } from './validation-score.js';

/** Random stream of the train/validation split. */
const SPLIT_STREAM = 0x7ffffff1;

/** What `prepareData` needs from a model's config. */
export interface TrainingDataConfig {
  /** Held-out showers whose features are the validation reference (at most). */
  validationShowers: number;
  /** Count a cell as hit in validation only from the data's readout threshold (else any deposit). */
  validationHitThreshold: boolean;
}

/** Training showers as network values, conditions and the split. */
export interface TrainingData {
  /** The representation the values are in (with its scale fitted on the training split where it has one). */
  repr: Representation;
  n: number;
  voxels: number;
  /** Network values [n, V]. */
  x: Float32Array;
  /** Network conditions [n]. */
  c: Float32Array;
  /** Incident energies (MeV) [n]. */
  energy: Float32Array;
  /** Features of the scored held-out showers (the validation reference). */
  reference: ShowerFeatures;
  /** Deposits (MeV) from which the validation counts a cell as hit (`validationHitThreshold`; 0: any). */
  hitThreshold: number;
  trainRows: Uint32Array;
  /** The held-out rows scored after each epoch (at most `validationShowers`). */
  scoredRows: Uint32Array;
  validationSize: number;
}

/**
 * The first `n` showers of `data` in one array, read in blocks of at most `blockBytes` of values
 * (default 256 MiB): one read of a larger budget would exceed h5wasm's 2 GiB heap (20 000 ILD 30³
 * showers are 2.16 GB).
 */
export async function readInBlocks(data: ShowerSource, n: number, blockBytes = 256 * 2 ** 20): Promise<Showers> {
  const V = data.voxels;
  const block = Math.max(1, Math.floor(blockBytes / (4 * V)));
  if (n <= block) return data.readRange(0, n);
  const out: Showers = { n, voxels: V, energy: new Float32Array(n), values: new Float32Array(n * V) };
  for (let start = 0; start < n; start += block) {
    const end = Math.min(n, start + block);
    const b = await data.readRange(start, end);
    out.energy.set(b.energy, start);
    out.values.set(b.values, start * V);
    for (const k of ['theta', 'phi'] as const) {
      const a = b[k];
      if (a) (out[k] ??= new Float32Array(n)).set(a, start);
    }
  }
  return out;
}

/**
 * Reads the showers (at most `memoryBudgetMiB` of them, see the logger warning), splits them and
 * encodes them in the representation `represent` gives for the raw showers and training rows.
 */
export async function prepareData(
  data: ShowerSource, geometry: Geometry, represent: (s: Showers, trainRows: Uint32Array) => Representation, config: TrainingDataConfig,
  options: { seed: number; validationFraction?: number; memoryBudgetMiB?: number; logger?: Logger; name?: string },
): Promise<TrainingData> {
  const V = data.voxels;
  const maxRows = Math.max(2, Math.floor(((options.memoryBudgetMiB ?? 1024) * 2 ** 20) / (8 * V)));
  const n = Math.min(data.n, maxRows);
  if (n < data.n) options.logger?.warn(`${options.name ?? 'training'}: training on the first ${n} of ${data.n} showers, which fit into the memory budget of ${options.memoryBudgetMiB ?? 1024} MiB (raw and encoded copies); this package does not stream from the file yet`);
  const s = await readInBlocks(data, n);
  const perm = new Rng(options.seed, SPLIT_STREAM).permutation(n);
  const nVal = Math.min(n - 1, Math.max(1, Math.round(n * (options.validationFraction ?? 0.2))));
  const trainRows = Uint32Array.from(perm.subarray(0, n - nVal)).sort();
  const repr = represent(s, trainRows);
  const x = new Float32Array(n * V);
  for (let i = 0; i < n; i++) repr.encode(s.values.subarray(i * V, (i + 1) * V), s.energy[i]!, x.subarray(i * V, (i + 1) * V));
  const scoredRows = Uint32Array.from(perm.subarray(n - nVal, n - nVal + Math.min(nVal, config.validationShowers))).sort();
  const layers = voxelLayers(geometry);
  const ref = new Float32Array(scoredRows.length * V);
  scoredRows.forEach((r, i) => ref.set(s.values.subarray(r * V, (r + 1) * V), i * V));
  const hitThreshold = config.validationHitThreshold ? readoutThreshold(s.values, V, trainRows) : 0;
  const reference = showerFeatures(ref, Array.from(scoredRows, (r) => s.energy[r]!), layers, hitThreshold);
  return { repr, n, voxels: V, x, c: repr.condition(s.energy), energy: Float32Array.from(s.energy), reference, hitThreshold, trainRows, scoredRows, validationSize: nVal };
}

/** The rows' network values [m, V] and conditions [m, 1]. */
export function gatherRows(d: TrainingData, rows: ArrayLike<number>): { x: tf.Tensor2D; c: tf.Tensor2D } {
  const m = rows.length;
  const V = d.voxels;
  const xb = new Float32Array(m * V);
  const cb = new Float32Array(m);
  for (let i = 0; i < m; i++) {
    const r = rows[i]!;
    xb.set(d.x.subarray(r * V, (r + 1) * V), i * V);
    cb[i] = d.c[r]!;
  }
  return { x: tf.tensor2d(xb, [m, V]), c: tf.tensor2d(cb, [m, 1]) };
}

/**
 * Generated network values with the representation's readout threshold applied (cells below the
 * network value of `threshold` MeV at the row's energy set to 0). Gradient `kept` (default): the
 * kept cells keep theirs and the zeroed cells get none, so a loss can switch cells off but never
 * on; `straight-through`: every cell gets the gradient as if no threshold were applied (the
 * straight-through estimator), so a loss that wants more hits can raise cells over the threshold.
 */
export function applyReadout(d: TrainingData, rows: ArrayLike<number>, fake: tf.Tensor2D, gradient: 'kept' | 'straight-through' = 'kept'): tf.Tensor2D {
  const t = d.repr.threshold;
  if (!t) return fake;
  const xt = tf.tensor2d(thresholdValues(d.repr, t, Array.from(rows, (r) => d.energy[r]!)), [rows.length, 1]);
  const mask = (x: tf.Tensor): tf.Tensor => tf.mul(x, tf.cast(tf.greaterEqual(x, xt), 'float32'));
  return gradient === 'kept' ? (mask(fake) as tf.Tensor2D) : straightThrough(fake, mask);
}

/** `forward(x)` whose gradient is passed to x unchanged (the straight-through estimator). */
function straightThrough<T extends tf.Tensor>(x: T, forward: (x: tf.Tensor) => tf.Tensor): T {
  return tf.customGrad((...inputs: (tf.Tensor | tf.GradSaveFunc)[]) => ({ value: forward(inputs[0] as tf.Tensor), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => dy as tf.Tensor }))(x) as T;
}

/**
 * ReLU whose gradient passes unchanged where the input is negative too (the straight-through
 * estimator): an output layer of cells that a loss can switch on again after they went to 0 for
 * every input (a plain ReLU output leaves such "dead" cells at 0 for good). Forward: max(x, 0).
 */
export function straightThroughRelu<T extends tf.Tensor>(x: T): T {
  return straightThrough(x, tf.relu);
}
