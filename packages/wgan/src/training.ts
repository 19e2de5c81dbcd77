/**
 * One training phase of a WGAN for core's engine: the critic (or discriminator) steps on every
 * batch, the constrainer steps beside it on the same real showers, and the generator steps after
 * every `criticIterations` critic steps (`every`), each critic step on a fresh batch as in the
 * published loop (field-reference.md §4.4). Validation generates showers for held-out energies
 * and scores them against the held-out showers (`validation.ts`); a non-finite or exploding
 * critic loss is divergence (the engine rolls back to the last good epoch).
 */
import { Rng, shuffledRows, tf, withoutGradient, type Geometry, type Logger, type Phase, type ShowerSource, type Showers } from '@calozoo/core';
import type { WganConfig } from './config.js';
import { fitCriticFeatures } from './features.js';
import { bceDiscriminatorLoss, bceGeneratorLoss, constrainerLoss, constrainerTerm, gradientPenalty, wassersteinEstimate, wganCriticLoss, wganGeneratorLoss } from './losses.js';
import type { WganNetworks } from './networks.js';
import { thresholdValues, type Representation } from './representation.js';
import { concatFeatures, readoutThreshold, showerFeatures, validationScore, voxelLayers, type ShowerFeatures } from './validation.js';

/** Random stream of the train/validation split. */
const SPLIT_STREAM = 0x7ffffff1;
/** Random stream of the validation noise (the same every epoch). */
const VALIDATION_STREAM = 0x7ffffff2;

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

/** Uniform noise in [−1, 1] (the published code's), drawn in row order: z = 2u − 1. */
export function uniformNoise(rng: Rng, n: number, latent: number): Float32Array {
  const z = rng.fillUniform(new Float32Array(n * latent)) as Float32Array;
  for (let i = 0; i < z.length; i++) z[i] = 2 * z[i]! - 1;
  return z;
}

/**
 * Reads the showers (at most `memoryBudgetMiB` of them, see the logger warning), splits them and
 * encodes them in the representation `represent` gives for the raw showers and training rows.
 */
export async function prepareData(
  data: ShowerSource, geometry: Geometry, represent: (s: Showers, trainRows: Uint32Array) => Representation, config: WganConfig,
  options: { seed: number; validationFraction?: number; memoryBudgetMiB?: number; logger?: Logger },
): Promise<TrainingData> {
  const V = data.voxels;
  const maxRows = Math.max(2, Math.floor(((options.memoryBudgetMiB ?? 1024) * 2 ** 20) / (8 * V)));
  const n = Math.min(data.n, maxRows);
  if (n < data.n) options.logger?.warn(`wgan: training on the first ${n} of ${data.n} showers, which fit into the memory budget of ${options.memoryBudgetMiB ?? 1024} MiB (raw and encoded copies); this package does not stream from the file yet`);
  const s = await data.readRange(0, n);
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

/**
 * Generated network values with the representation's readout threshold applied (cells below the
 * network value of `threshold` MeV at the row's energy set to 0; the kept cells keep their gradient).
 */
function readout(d: TrainingData, rows: ArrayLike<number>, fake: tf.Tensor2D): tf.Tensor2D {
  const t = d.repr.threshold;
  if (!t) return fake;
  const xt = tf.tensor2d(thresholdValues(d.repr, t, Array.from(rows, (r) => d.energy[r]!)), [rows.length, 1]);
  return tf.mul(fake, tf.cast(tf.greaterEqual(fake, xt), 'float32')) as tf.Tensor2D;
}

/** The rows' network values [m, V] and conditions [m, 1]. */
function gather(d: TrainingData, rows: ArrayLike<number>): { x: tf.Tensor2D; c: tf.Tensor2D } {
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
 * The phase: optimisers `critic`, `constrainer` (when enabled) and `generator`; see the module
 * comment. `release` frees what the phase holds besides the networks (the critic features' constants).
 */
export function wganPhase(
  nets: WganNetworks, config: WganConfig, data: TrainingData, geometry: Geometry,
  options: { seed: number; epochs?: number },
): Phase<Uint32Array> & { release(): void } {
  const { repr } = data;
  const L = config.latentDim;
  const { generator: G, critic: D, constrainer: C } = nets;
  const wgan = config.loss === 'wgan-gp';
  const noise = (rng: Rng, m: number): tf.Tensor2D => tf.tensor2d(uniformNoise(rng, m, L), [m, L]);
  const adam = (a: WganConfig['critic']) => ({ learningRate: a.learningRate, schedule: config.schedule, adam: { beta1: a.beta1, beta2: a.beta2 } });
  const layers = voxelLayers(geometry);
  // The dense critic's physics features (features.ts), standardised on the training split.
  const useFeatures = config.architecture === 'dense' && config.dense.criticFeatures;
  if (useFeatures && !repr.fractionTf) throw new Error(`wgan: dense.criticFeatures needs a representation relative to E_inc, not "${repr.name}"`);
  const features = useFeatures ? fitCriticFeatures(data.x, data.voxels, data.trainRows, layers, repr.fractionTf!, config.dense.criticFeatureScale) : null;
  // The critic's input: the voxels, with the standardised features appended when enabled.
  const input = (x: tf.Tensor2D): tf.Tensor2D => (features ? tf.concat([x, features.apply(x)], 1) : x);
  const critic = (x: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D => D.apply(input(x), c);
  const jointPenalty = features !== null && config.dense.criticFeatureMode === 'input';

  const criticLoss = (rows: Uint32Array, rng: Rng): tf.Scalar => {
    const m = rows.length;
    const { x, c } = gather(data, rows);
    const z = noise(rng, m);
    const alpha = tf.tensor2d(rng.fillUniform(new Float32Array(m)) as Float32Array, [m, 1]);
    const fake = withoutGradient(() => readout(data, rows, G.apply(z, c)));
    const inReal = input(x);
    const inFake = input(fake);
    // Real and fake in one pass (every layer acts per shower).
    const d = D.apply(tf.concat([inReal, inFake], 0), tf.concat([c, c], 0));
    const dReal = tf.slice(d, [0, 0], [m, 1]);
    const dFake = tf.slice(d, [m, 0], [m, 1]);
    if (!wgan) return bceDiscriminatorLoss(dReal, dFake);
    const gp = jointPenalty ? gradientPenalty((h) => D.apply(h, c), inReal, inFake, alpha) : gradientPenalty((xh) => critic(xh, c), x, fake, alpha);
    return wganCriticLoss(dReal, dFake, gp, config.gradientPenalty);
  };

  const generatorLoss = (rows: Uint32Array, rng: Rng): tf.Scalar => {
    const { x, c } = gather(data, rows);
    const fake = readout(data, rows, G.apply(noise(rng, rows.length), c));
    const dFake = critic(fake, c);
    const term = C && config.constrainer.weight > 0 ? constrainerTerm(C.apply(fake), withoutGradient(() => C.apply(x)), c) : undefined;
    if (wgan) return wganGeneratorLoss(dFake, config.constrainer.weight, term);
    const adv = bceGeneratorLoss(dFake);
    return term ? (tf.add(adv, tf.mul(config.constrainer.weight, term)) as tf.Scalar) : adv;
  };

  const chunk = config.architecture === 'conv' ? 16 : 1024;
  const validate = () => {
    const zAll = uniformNoise(new Rng(options.seed, VALIDATION_STREAM), data.scoredRows.length, L);
    const parts: ShowerFeatures[] = [];
    let w = 0;
    for (let s = 0; s < data.scoredRows.length; s += chunk) {
      const rows = data.scoredRows.subarray(s, s + chunk);
      const m = rows.length;
      const energy = Float32Array.from(rows, (r) => data.energy[r]!);
      const { showers, wSum } = tf.tidy(() => {
        const { x, c } = gather(data, rows);
        const fake = readout(data, rows, G.apply(tf.tensor2d(zAll.subarray(s * L, (s + m) * L), [m, L]), c));
        const est = wassersteinEstimate(critic(x, c), critic(fake, c));
        return { showers: repr.decode(fake, tf.tensor2d(energy, [m, 1])), wSum: tf.mul(est, m) };
      });
      parts.push(showerFeatures(showers.dataSync() as Float32Array, energy, layers, data.hitThreshold));
      w += wSum.dataSync()[0]!;
      tf.dispose([showers, wSum]);
    }
    const v = validationScore(data.reference, concatFeatures(parts), config.validationEnergyGroups);
    const perEnergy: Record<string, number> = v.responsePerEnergy !== undefined ? { sepResponsePerEnergy: v.responsePerEnergy } : {};
    return { score: v.score, values: { sepResponse: v.response, ...perEnergy, sepCentre: v.centre, sepSparsity: v.sparsity, wasserstein: w / Math.max(1, data.scoredRows.length) } };
  };

  return {
    release: () => features?.dispose(),
    name: 'wgan',
    optimizers: [
      { name: 'critic', vars: D.trainable(), ...adam(config.critic) },
      ...(C ? [{ name: 'constrainer', vars: C.trainable(), ...adam(config.constrainer.optimizer) }] : []),
      { name: 'generator', vars: G.trainable(), ...adam(config.generator) },
    ],
    updates: [
      { optimizer: 'critic', loss: criticLoss },
      ...(C ? [{ optimizer: 'constrainer', loss: (rows: Uint32Array) => { const { x, c } = gather(data, rows); return constrainerLoss(C.apply(x), c); } }] : []),
      { optimizer: 'generator', every: config.criticIterations, loss: generatorLoss },
    ],
    data: shuffledRows(data.trainRows.length, config.batchSize, { rows: data.trainRows }),
    maxEpochs: options.epochs ?? config.maxEpochs,
    patience: config.patience,
    validate,
    diverged: (l) => {
      const v = l['critic'];
      return v !== undefined && Math.abs(v) > config.divergenceLimit ? `critic loss ${v.toPrecision(4)} beyond ±${config.divergenceLimit} (divergenceLimit)` : null;
    },
  };
}
