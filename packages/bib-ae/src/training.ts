/**
 * The BIB-AE's training phases for core's engine (field-reference.md §4.1):
 * 1. `bibae`: per step, the data critic, the resetting critic (when weighted; redrawn at every
 *    epoch start) and the latent critic take `criticIterations` WGAN-GP updates each, then the
 *    encoder + decoder one update on kld·KLD + mmd·MMD(z, N(0,1)) + mse·Σ_cells(x̂ − x)²/B
 *    − critic·mean D(x, x̂) − resetCritic·mean D_reset(x, x̂) − latentCritic·mean C(z);
 * 2. `post-identity` and `post`: the post-processor with the BIB-AE frozen, on reconstructions x̂:
 *    mse·MSE(PP(x̂), x̂) alone for the warm-up epochs, then + sortedMmd·SortedKernelMMD(PP(x̂), x);
 * 3. `sampler` (flow sampler only): the conditional flow on [z, (E_dep/E_inc − m)/s] given the
 *    condition, by maximum likelihood.
 * With `trainingReadout` the reconstructions x̂ (stage 1) and PP(x̂) in the sorted-kernel MMD
 * (stage 2) pass the data's readout threshold as generated showers do; with `dense.criticFeatures`
 * the difference critic's candidate branch also sees the candidate's physics features (core's
 * `train/critic-features.ts`), which enter the gradient penalty as inputs of their own.
 * Validation: stage 1 by the held-out reconstruction error; stage 2 generates showers for held-out
 * energies from N(0, 1) latents through the post-processor and scores them against the held-out
 * showers with core's `validationScore`; a non-finite or exploding critic loss is divergence (rolled back).
 */
import {
  Rng, applyReadout, concatFeatures, fitCriticFeaturesFor, gatherRows, gradientPenalty, wassersteinCriticLoss as criticLoss, showerFeatures, shuffledRows, tf, validationScore, voxelLayers, withoutGradient,
  type Geometry, type Phase, type ShowerFeatures, type TrainingData,
} from '@calozoo/core';
import type { Flow } from '@calozoo/flows';
import { redrawCritic, resetCriticStream } from './build.js';
import type { BibAeConfig } from './config.js';
import { kld, latentMmd, sortedKernelMmd } from './losses.js';
import type { BibAeNetworks, DataCriticNet } from './networks.js';

/** Random stream of the validation latents (the same every epoch). */
const VALIDATION_STREAM = 0x7ffffff2;

/** z = μ + σ·ε on the active dimensions, joined by N(0, 1) noise for the rest: [m, latentDim]. */
function fullLatent(active: tf.Tensor2D, latentDim: number, rng: Rng): tf.Tensor2D {
  const [m, A] = active.shape;
  if (A === latentDim) return active;
  return tf.concat([active, tf.tensor2d(rng.fillNormal(new Float32Array(m * (latentDim - A))) as Float32Array, [m, latentDim - A])], 1);
}

/** μ + exp(½ log σ²)·ε with ε from `rng`. */
function reparameterise(mu: tf.Tensor2D, logVar: tf.Tensor2D, rng: Rng): tf.Tensor2D {
  const eps = tf.tensor2d(rng.fillNormal(new Float32Array(mu.size)) as Float32Array, mu.shape);
  return tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logVar)), eps)) as tf.Tensor2D;
}

/** E_dep/E_inc [m, 1] of network values x through the representation (the post-processor's energy sum). */
function responseOf(data: Pick<TrainingData, 'repr'>, x: tf.Tensor2D, energy: tf.Tensor2D): tf.Tensor2D {
  return tf.div(tf.sum(data.repr.decode(x, energy), 1, true), energy) as tf.Tensor2D;
}

/**
 * The post-processor's input: the decoder's values x, or with `keepZeros` x after the data's
 * readout threshold (the cells it zeroes then stay 0 through the post-processor, which can switch
 * hits off but not on).
 */
function postInput(data: Pick<TrainingData, 'repr'>, x: tf.Tensor2D, energy: tf.Tensor2D, keepZeros: boolean): tf.Tensor2D {
  return keepZeros && data.repr.threshold ? (tf.mul(x, tf.cast(tf.greater(data.repr.decode(x, energy), 0), 'float32')) as tf.Tensor2D) : x;
}

/** Network values [m, V] decoded from full latents z, through the post-processor when `post` (its input as `postInput` with `keepZeros`). */
export function decodeValues(nets: BibAeNetworks, data: Pick<TrainingData, 'repr'>, z: tf.Tensor2D, c: tf.Tensor2D, energy: tf.Tensor2D, post: boolean, keepZeros: boolean): tf.Tensor2D {
  const x = nets.decoder.apply(z, c);
  if (!post) return x;
  const xin = postInput(data, x, energy, keepZeros);
  return nets.postProcessor.apply(xin, responseOf(data, xin, energy), c);
}

/** Energies [m, 1] (MeV) of rows. */
const energyOf = (data: TrainingData, rows: ArrayLike<number>): tf.Tensor2D => tf.tensor2d(Float32Array.from(rows as ArrayLike<number>, (r) => data.energy[r]!), [rows.length, 1]);

/** Adam options of a config entry. */
const adam = (a: BibAeConfig['optimizer']['main'], schedule: BibAeConfig['schedule']) => ({ learningRate: a.learningRate, schedule, adam: { beta1: a.beta1, beta2: a.beta2 } });

/** The validation of stages 1–2: showers from N(0, 1) latents for the scored rows, scored against them. */
function validation(nets: BibAeNetworks, config: BibAeConfig, data: TrainingData, geometry: Geometry, seed: number, post: boolean): () => { score: number; values: Record<string, number> } {
  const layers = voxelLayers(geometry);
  const chunk = config.architecture === 'conv' ? 8 : 1024;
  return () => {
    const rng = new Rng(seed, VALIDATION_STREAM);
    const parts: ShowerFeatures[] = [];
    for (let s = 0; s < data.scoredRows.length; s += chunk) {
      const rows = data.scoredRows.subarray(s, s + chunk);
      const m = rows.length;
      const energy = Float32Array.from(rows, (r) => data.energy[r]!);
      const showers = tf.tidy(() => {
        const { c } = gatherRows(data, rows);
        const e = tf.tensor2d(energy, [m, 1]);
        const z = tf.tensor2d(rng.fillNormal(new Float32Array(m * config.latentDim)) as Float32Array, [m, config.latentDim]);
        return data.repr.decode(decodeValues(nets, data, z, c, e, post, config.postProcessor.keepZeros), e);
      });
      parts.push(showerFeatures(showers.dataSync() as Float32Array, energy, layers, data.hitThreshold));
      showers.dispose();
    }
    const v = validationScore(data.reference, concatFeatures(parts), config.validationEnergyGroups);
    return { score: v.score, values: { sepResponse: v.response, ...(v.responsePerEnergy !== undefined ? { sepResponsePerEnergy: v.responsePerEnergy } : {}), sepCentre: v.centre, sepSparsity: v.sparsity } };
  };
}

/**
 * The validation of stage 1: the reconstruction error Σ_cells (x̂ − x)² per held-out shower (network
 * values; z = μ + σ·ε with the same draws every epoch). Generated showers are not scored here: the
 * stage's draws from N(0, 1) skip the post-processor and the sampler, which fix the cell spectrum
 * and the response afterwards, so the generation score favoured the first epochs.
 */
function reconstructionValidation(data: TrainingData, config: BibAeConfig, recon: (x: tf.Tensor2D, c: tf.Tensor2D, rng: Rng, rows: Uint32Array) => tf.Tensor2D, seed: number): () => number {
  return () => {
    const rng = new Rng(seed, VALIDATION_STREAM);
    const chunk = config.architecture === 'conv' ? 8 : 1024;
    let sum = 0;
    for (let s = 0; s < data.scoredRows.length; s += chunk) {
      const rows = data.scoredRows.subarray(s, s + chunk);
      sum += tf.tidy(() => {
        const { x, c } = gatherRows(data, rows);
        return tf.sum(tf.squaredDifference(recon(x, c, rng, rows), x)).dataSync()[0]!;
      });
    }
    return sum / Math.max(1, data.scoredRows.length);
  };
}

/** The data's readout threshold on network values of `rows` as `config.trainingReadout` asks (`off`: as they are). */
function trainingReadout(config: BibAeConfig, data: TrainingData, rows: ArrayLike<number>, x: tf.Tensor2D): tf.Tensor2D {
  return config.trainingReadout === 'off' ? x : applyReadout(data, rows, x, config.trainingReadout);
}

/** Stage 1: the BIB-AE with its critics (see the module comment); `release` frees the critic features' constants. */
export function bibaePhase(nets: BibAeNetworks, config: BibAeConfig, data: TrainingData, geometry: Geometry, options: { seed: number; epochs?: number }): Phase<Uint32Array> & { release(): void } {
  const { encoder: E, decoder: G, critic: D, resetCritic: RD, latentCritic: LC } = nets;
  // The dense critic's physics features of the candidate (core's train/critic-features.ts), standardised on the training split.
  const features = config.architecture === 'dense' ? fitCriticFeaturesFor(data, geometry, config.dense, 'bib-ae') : null;
  /** A critic's score of candidates y against references x (features computed from y). */
  const score = (net: DataCriticNet, x: tf.Tensor2D, y: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D => net.apply(x, y, c, features?.apply(y));
  const w = config.loss;
  const A = config.activeDim;
  const L = config.latentDim;
  const useCritic = w.critic > 0;
  const useLatentCritic = w.latentCritic > 0;
  const useResetCritic = w.resetCritic > 0;
  if (useResetCritic && !RD) throw new Error('bib-ae: loss.resetCritic > 0 needs the resetting critic among the networks');
  /** Encodes and decodes the rows: μ, log σ², the active latents and the reconstruction. */
  const pass = (x: tf.Tensor2D, c: tf.Tensor2D, rng: Rng) => {
    const { mu, logVar } = E.apply(x, c);
    const z = reparameterise(mu, logVar, rng);
    return { mu, logVar, z, recon: G.apply(fullLatent(z, L, rng), c) };
  };
  const prior = (rng: Rng, m: number): tf.Tensor2D => tf.tensor2d(rng.fillNormal(new Float32Array(m * A)) as Float32Array, [m, A]);

  /** The WGAN-GP loss of a difference critic `net` (the critic or the resetting critic). */
  const dataCriticLoss = (net: DataCriticNet) => (rows: Uint32Array, rng: Rng): tf.Scalar => {
    const m = rows.length;
    const { x, c } = gatherRows(data, rows);
    const fake = withoutGradient(() => trainingReadout(config, data, rows, pass(x, c, rng).recon));
    const alpha = tf.tensor2d(rng.fillUniform(new Float32Array(m)) as Float32Array, [m, 1]);
    if (!features) {
      const s = net.apply(tf.concat([x, x], 0), tf.concat([x, fake], 0), tf.concat([c, c], 0));
      const gp = gradientPenalty((r, y) => net.apply(r!, y!, c), [x, x], [x, fake], alpha);
      return criticLoss(tf.slice(s, [0, 0], [m, 1]), tf.slice(s, [m, 0], [m, 1]), gp, config.gradientPenalty);
    }
    // The features are critic inputs: interpolated with the pairs, the penalty taken with respect to all three.
    const fReal = features.apply(x);
    const fFake = features.apply(fake);
    const s = net.apply(tf.concat([x, x], 0), tf.concat([x, fake], 0), tf.concat([c, c], 0), tf.concat([fReal, fFake], 0));
    const gp = gradientPenalty((r, y, f) => net.apply(r!, y!, c, f), [x, x, fReal], [x, fake, fFake], alpha);
    return criticLoss(tf.slice(s, [0, 0], [m, 1]), tf.slice(s, [m, 0], [m, 1]), gp, config.gradientPenalty);
  };

  const latentCriticLoss = (rows: Uint32Array, rng: Rng): tf.Scalar => {
    const m = rows.length;
    const { x, c } = gatherRows(data, rows);
    const z = tf.reshape(withoutGradient(() => reparameterise(...Object.values(E.apply(x, c)) as [tf.Tensor2D, tf.Tensor2D], rng)), [m * A, 1]) as tf.Tensor2D;
    const real = tf.reshape(prior(rng, m), [m * A, 1]) as tf.Tensor2D;
    const alpha = tf.tensor2d(rng.fillUniform(new Float32Array(m * A)) as Float32Array, [m * A, 1]);
    const gp = gradientPenalty((h) => LC.apply(h!), [real], [z], alpha);
    return criticLoss(LC.apply(real), LC.apply(z), gp, config.gradientPenalty);
  };

  const mainLoss = (rows: Uint32Array, rng: Rng): tf.Scalar => {
    const m = rows.length;
    const { x, c } = gatherRows(data, rows);
    const { mu, logVar, z, recon: raw } = pass(x, c, rng);
    const recon = trainingReadout(config, data, rows, raw);
    const terms: tf.Scalar[] = [];
    if (w.kld > 0) terms.push(tf.mul(w.kld, kld(mu, logVar)) as tf.Scalar);
    if (w.mmd > 0) terms.push(tf.mul(w.mmd, latentMmd(z, prior(rng, m), config.mmdAlphas)) as tf.Scalar);
    if (w.mse > 0) terms.push(tf.mul(w.mse / m, tf.sum(tf.squaredDifference(recon, x))) as tf.Scalar);
    if (useCritic) terms.push(tf.mul(-w.critic, tf.mean(score(D, x, recon, c))) as tf.Scalar);
    if (useResetCritic) terms.push(tf.mul(-w.resetCritic, tf.mean(score(RD!, x, recon, c))) as tf.Scalar);
    if (useLatentCritic) terms.push(tf.mul(-w.latentCritic, tf.mean(LC.apply(tf.reshape(z, [m * A, 1]) as tf.Tensor2D))) as tf.Scalar);
    return tf.addN(terms) as tf.Scalar;
  };

  const repeat = config.criticIterations;
  return {
    release: () => features?.dispose(),
    name: 'bibae',
    optimizers: [
      ...(useCritic ? [{ name: 'critic', vars: D.variables(), ...adam(config.optimizer.critic, config.schedule) }] : []),
      ...(useResetCritic ? [{
        name: 'reset-critic', vars: RD!.variables(), ...adam(config.optimizer.critic, config.schedule),
        resetEachEpoch: (epoch: number) => redrawCritic(RD!, config, geometry, new Rng(options.seed, resetCriticStream(epoch))),
      }] : []),
      ...(useLatentCritic ? [{ name: 'latent-critic', vars: LC.variables(), ...adam(config.optimizer.latentCritic, config.schedule) }] : []),
      { name: 'main', vars: { ...E.variables(), ...G.variables() }, ...adam(config.optimizer.main, config.schedule) },
    ],
    updates: [
      { optimizer: 'main', loss: mainLoss },
      ...(useCritic ? [{ optimizer: 'critic', loss: dataCriticLoss(D), repeat }] : []),
      ...(useResetCritic ? [{ optimizer: 'reset-critic', loss: dataCriticLoss(RD!), repeat }] : []),
      ...(useLatentCritic ? [{ optimizer: 'latent-critic', loss: latentCriticLoss, repeat }] : []),
    ],
    data: shuffledRows(data.trainRows.length, config.batchSize, { rows: data.trainRows }),
    maxEpochs: options.epochs ?? config.maxEpochs,
    patience: config.patience,
    validate: reconstructionValidation(data, config, (x, c, rng, rows) => trainingReadout(config, data, rows, pass(x, c, rng).recon), options.seed),
    diverged: (l) => {
      for (const k of ['critic', 'reset-critic']) {
        const v = l[k];
        if (v !== undefined && Math.abs(v) > config.divergenceLimit) return `${k} loss ${v.toPrecision(4)} beyond ±${config.divergenceLimit} (divergenceLimit)`;
      }
      return null;
    },
  };
}

/** Stage 2: the post-processor on frozen reconstructions; the sorted-kernel MMD joins when `withMmd`. */
export function postPhase(nets: BibAeNetworks, config: BibAeConfig, data: TrainingData, geometry: Geometry, options: { seed: number; epochs?: number }, withMmd: boolean): Phase<Uint32Array> {
  const pp = config.postProcessor;
  const loss = (rows: Uint32Array, rng: Rng): tf.Scalar => {
    const { x, c } = gatherRows(data, rows);
    const e = energyOf(data, rows);
    const recon = withoutGradient(() => {
      const { mu, logVar } = nets.encoder.apply(x, c);
      return postInput(data, nets.decoder.apply(fullLatent(reparameterise(mu, logVar, rng), config.latentDim, rng), c), e, pp.keepZeros);
    });
    const out = nets.postProcessor.apply(recon, withoutGradient(() => responseOf(data, recon, e)), c);
    const identity = tf.mul(pp.mse, tf.mean(tf.squaredDifference(out, recon))) as tf.Scalar;
    return withMmd && pp.sortedMmd > 0 ? (tf.add(identity, tf.mul(pp.sortedMmd, sortedKernelMmd(trainingReadout(config, data, rows, out), x, pp))) as tf.Scalar) : identity;
  };
  return {
    name: withMmd ? 'post' : 'post-identity',
    optimizers: [{ name: 'post', vars: nets.postProcessor.variables(), ...adam(config.optimizer.postProcessor, withMmd ? config.schedule : 'constant') }],
    updates: [{ optimizer: 'post', loss }],
    data: shuffledRows(data.trainRows.length, config.batchSize, { rows: data.trainRows }),
    maxEpochs: withMmd ? (options.epochs ?? pp.maxEpochs) : Math.max(1, pp.identityEpochs),
    ...(withMmd ? { patience: config.patience, validate: validation(nets, config, data, geometry, options.seed, true) } : {}),
    // The post-processor keeps its last weights (the cosine schedule settles them); see the package README's notes.
    restoreBest: false,
  };
}

/** The flow sampler's training rows: [active latent, standardised E_dep/E_inc] and the conditions, with the standardisation. */
export interface SamplerData {
  /** [n, activeDim + 1]. */
  x: Float32Array;
  /** [n]. */
  c: Float32Array;
  /** Mean and standard deviation of E_dep/E_inc over the training rows. */
  responseMean: number;
  responseStd: number;
  /** Per active latent dimension, the mean and standard deviation over the training rows (x holds the standardised latents). */
  latentMean: number[];
  latentStd: number[];
  trainRows: Uint32Array;
  validationRows: Uint32Array;
}

/** Encodes every row (z = μ + σ·ε, or μ when `means`) with its E_dep/E_inc, in chunks. */
export function encodeRows(nets: BibAeNetworks, config: BibAeConfig, data: TrainingData, seed: number, means: boolean): { z: Float32Array; response: Float32Array } {
  const A = config.activeDim;
  const z = new Float32Array(data.n * A);
  const response = new Float32Array(data.n);
  const rng = new Rng(seed, 0x7ffffff3);
  const chunk = config.architecture === 'conv' ? 16 : 2048;
  for (let s = 0; s < data.n; s += chunk) {
    const rows = Uint32Array.from({ length: Math.min(chunk, data.n - s) }, (_, i) => s + i);
    const [zb, rb] = tf.tidy(() => {
      const { x, c } = gatherRows(data, rows);
      const { mu, logVar } = nets.encoder.apply(x, c);
      return [(means ? mu : reparameterise(mu, logVar, rng)).dataSync() as Float32Array, responseOf(data, x, energyOf(data, rows)).dataSync() as Float32Array];
    });
    z.set(zb!, s * A);
    response.set(rb!, s);
  }
  return { z, response };
}

/** The flow sampler's training rows (see `SamplerData`). */
export function samplerData(nets: BibAeNetworks, config: BibAeConfig, data: TrainingData, seed: number): SamplerData {
  const A = config.activeDim;
  const { z, response } = encodeRows(nets, config, data, seed, false);
  const nt = data.trainRows.length;
  // standardised per column: the encoder's latents need not be near N(0, 1) (ILD: means ≈ 16 after
  // two epochs), and the spline flow is the identity outside [−bound, bound]
  const mean = new Array<number>(A + 1).fill(0);
  const sd = new Array<number>(A + 1).fill(0);
  const value = (i: number, j: number): number => (j < A ? z[i * A + j]! : response[i]!);
  for (const r of data.trainRows) for (let j = 0; j <= A; j++) mean[j]! += value(r, j) / nt;
  for (const r of data.trainRows) for (let j = 0; j <= A; j++) sd[j]! += (value(r, j) - mean[j]!) ** 2 / Math.max(1, nt - 1);
  for (let j = 0; j <= A; j++) sd[j] = Math.sqrt(sd[j]!) || 1;
  const x = new Float32Array(data.n * (A + 1));
  for (let i = 0; i < data.n; i++) for (let j = 0; j <= A; j++) x[i * (A + 1) + j] = (value(i, j) - mean[j]!) / sd[j]!;
  const inTrain = new Uint8Array(data.n);
  for (const r of data.trainRows) inTrain[r] = 1;
  const validationRows = Uint32Array.from({ length: data.n }, (_, i) => i).filter((i) => !inTrain[i]);
  return { x, c: data.c, responseMean: mean[A]!, responseStd: sd[A]!, latentMean: mean.slice(0, A), latentStd: sd.slice(0, A), trainRows: data.trainRows, validationRows };
}

/** Stage 3: maximum likelihood of the conditional flow on `SamplerData`, validated by the held-out NLL. */
export function flowPhase(flow: Flow, config: BibAeConfig, s: SamplerData, options: { epochs?: number }): Phase<Uint32Array> {
  const D = config.activeDim + 1;
  const rowsOf = (rows: ArrayLike<number>) => {
    const m = rows.length;
    const x = new Float32Array(m * D);
    const c = new Float32Array(m);
    for (let i = 0; i < m; i++) {
      const r = rows[i]!;
      x.set(s.x.subarray(r * D, (r + 1) * D), i * D);
      c[i] = s.c[r]!;
    }
    return { x: tf.tensor2d(x, [m, D]), c: tf.tensor2d(c, [m, 1]) };
  };
  const nll = (rows: ArrayLike<number>): tf.Scalar => {
    const { x, c } = rowsOf(rows);
    return tf.neg(tf.mean(flow.logProb(x, c))) as tf.Scalar;
  };
  const f = config.sampler.flow;
  return {
    name: 'sampler',
    optimizers: [{ name: 'flow', vars: flow.trainableVariables(), learningRate: f.learningRate, schedule: 'cosine', adam: { clipNorm: 5 } }],
    updates: [{ optimizer: 'flow', loss: (rows) => nll(rows) }],
    data: shuffledRows(s.trainRows.length, f.batchSize, { rows: s.trainRows }),
    maxEpochs: options.epochs ?? f.maxEpochs,
    patience: config.patience,
    validate: () => {
      let sum = 0;
      for (let i = 0; i < s.validationRows.length; i += 4096) {
        const rows = s.validationRows.subarray(i, i + 4096);
        sum += tf.tidy(() => nll(rows).dataSync()[0]!) * rows.length;
      }
      return sum / Math.max(1, s.validationRows.length);
    },
    setTraining: (on) => flow.setTraining(on),
  };
}
