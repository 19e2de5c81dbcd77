/**
 * One training phase of a WGAN for core's engine: the critic (or discriminator) steps on every
 * batch, the constrainer steps beside it on the same real showers, and the generator steps after
 * every `criticIterations` critic steps (`every`), each critic step on a fresh batch as in the
 * published loop (field-reference.md §4.4). Validation generates showers for held-out energies
 * and scores them against the held-out showers (core's `train/validation-score.ts`); a non-finite or exploding
 * critic loss is divergence (the engine rolls back to the last good epoch).
 */
import {
  batchSlices, Rng, applyReadout, concatFeatures, fitCriticFeaturesFor, gatherRows, showerFeatures, shuffledRows, tf, validationScore, voxelLayers, withoutGradient,
  type Geometry, type Phase, type ShowerFeatures, type TrainingData,
} from '@calozoo/core';
import type { WganConfig } from './config.js';
import { bceDiscriminatorLoss, bceGeneratorLoss, constrainerLoss, constrainerTerm, gradientPenalty, wassersteinEstimate, wganCriticLoss, wganGeneratorLoss } from './losses.js';
import type { WganNetworks } from './networks.js';

/** Random stream of the validation noise (the same every epoch). */
const VALIDATION_STREAM = 0x7ffffff2;

/** Uniform noise in [−1, 1] (the published code's), drawn in row order: z = 2u − 1. */
export function uniformNoise(rng: Rng, n: number, latent: number): Float32Array {
  const z = rng.fillUniform(new Float32Array(n * latent)) as Float32Array;
  for (let i = 0; i < z.length; i++) z[i] = 2 * z[i]! - 1;
  return z;
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
  // The critic's physics features (core's train/critic-features.ts), standardised on the training split.
  const features = fitCriticFeaturesFor(data, geometry, config.architecture === 'dense' ? config.dense : config.conv, 'wgan');
  // E_inc (MeV) of the rows [m, 1], for the hit counts among the features (null when they are off).
  const energyOf = (rows: ArrayLike<number>): tf.Tensor2D | undefined => (features?.needsEnergy ? tf.tensor2d(Float32Array.from(rows, (r) => data.energy[r]!), [rows.length, 1]) : undefined);
  // The critic's input: the voxels, with the standardised features appended when enabled.
  const input = (x: tf.Tensor2D, e?: tf.Tensor2D): tf.Tensor2D => (features ? tf.concat([x, features.apply(x, e)], 1) : x);
  const critic = (x: tf.Tensor2D, c: tf.Tensor2D, e?: tf.Tensor2D): tf.Tensor2D => D.apply(input(x, e), c);
  const jointPenalty = features !== null && (config.architecture === 'conv' || config.dense.criticFeatureMode === 'input');

  const criticLoss = (rows: Uint32Array, rng: Rng): tf.Scalar => {
    const m = rows.length;
    const { x, c } = gatherRows(data, rows);
    const z = noise(rng, m);
    const alpha = tf.tensor2d(rng.fillUniform(new Float32Array(m)) as Float32Array, [m, 1]);
    const fake = withoutGradient(() => applyReadout(data, rows, G.apply(z, c)));
    const e = energyOf(rows);
    const inReal = input(x, e);
    const inFake = input(fake, e);
    // Real and fake in one pass (every layer acts per shower).
    const d = D.apply(tf.concat([inReal, inFake], 0), tf.concat([c, c], 0));
    const dReal = tf.slice(d, [0, 0], [m, 1]);
    const dFake = tf.slice(d, [m, 0], [m, 1]);
    if (!wgan) return bceDiscriminatorLoss(dReal, dFake);
    const gp = jointPenalty ? gradientPenalty((h) => D.apply(h, c), inReal, inFake, alpha) : gradientPenalty((xh) => critic(xh, c, e), x, fake, alpha);
    return wganCriticLoss(dReal, dFake, gp, config.gradientPenalty);
  };

  const generatorLoss = (rows: Uint32Array, rng: Rng): tf.Scalar => {
    const { x, c } = gatherRows(data, rows);
    const fake = applyReadout(data, rows, G.apply(noise(rng, rows.length), c), config.readoutGradient);
    const dFake = critic(fake, c, energyOf(rows));
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
        const { x, c } = gatherRows(data, rows);
        const fake = applyReadout(data, rows, G.apply(tf.tensor2d(zAll.subarray(s * L, (s + m) * L), [m, L]), c));
        const e = tf.tensor2d(energy, [m, 1]);
        const est = wassersteinEstimate(critic(x, c, e), critic(fake, c, e));
        return { showers: repr.decode(fake, e), wSum: tf.mul(est, m) };
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
      { optimizer: 'critic', loss: criticLoss, ...(config.criticSliceRows > 0 ? { split: (rows: Uint32Array) => batchSlices(rows.length, config.criticSliceRows).map((p) => ({ batch: rows.subarray(p.start, p.end), weight: p.weight })) } : {}) },
      ...(C ? [{ optimizer: 'constrainer', loss: (rows: Uint32Array) => { const { x, c } = gatherRows(data, rows); return constrainerLoss(C.apply(x), c); } }] : []),
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
