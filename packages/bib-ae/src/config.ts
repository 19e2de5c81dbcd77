/**
 * The BIB-AE configuration (field-reference.md §4.1–4.3): one interface for both variants, the
 * default per geometry and the value checks `mergeConfig` (keys and JSON types only) leaves to
 * the plugin. Every loss term has its own weight (0 switches it off).
 */
import { ConfigError, criticFeatureSettingsProblems, mergeConfig, withLegacyValues, type CriticFeatureSettings, type DenseRepresentation, type Geometry } from '@calozoo/core';
import { PUBLISHED_CONV_SIZES, type ConvSizes } from './conv-networks.js';

/** Network family: the published 3-D convolutions (ILD 30³ grid), or MLPs for any geometry. */
export type BibAeArchitecture = 'conv' | 'dense';

/** How generation draws the encoder's active latent dimensions (§4.1, §4.3). */
export type LatentSamplerKind = 'normal' | 'kde' | 'flow';

/** Adam settings of one optimiser. */
export interface AdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
}

/** The full configuration of a `bib-ae` model (written to config.json). */
export interface BibAeConfig {
  /** `conv` (ILD 30×30×30 only) or `dense` (any geometry). */
  architecture: BibAeArchitecture;
  /** Latent dimensions the decoder sees (published 512). */
  latentDim: number;
  /** Of those, the ones the encoder produces (published 24); the rest are N(0, 1) noise. */
  activeDim: number;
  /** Showers per step. */
  batchSize: number;
  /** Epoch limit of the BIB-AE stage; `FitOptions.epochs` overrides every stage's. */
  maxEpochs: number;
  /** Stop a stage after this many epochs without a better validation score. */
  patience: number;
  /** Learning-rate schedule of every optimiser: `constant` or `cosine` (to 0 at the planned end). */
  schedule: 'constant' | 'cosine';
  /** Data-critic and latent-critic updates per BIB-AE update (published 5). */
  criticIterations: number;
  /** λ of both critics' gradient penalties (published 10). */
  gradientPenalty: number;
  /** Adam of the encoder + decoder, the data critic, the latent critic and the post-processor. */
  optimizer: { main: AdamConfig; critic: AdamConfig; latentCritic: AdamConfig; postProcessor: AdamConfig };
  /**
   * Weights of the BIB-AE loss terms (0: off): `kld` KL divergence of the active dimensions,
   * `mmd` latent MMD against N(0, 1), `latentCritic` the latent critic, `critic` the data-space
   * difference critic, `resetCritic` a second difference critic of the same architecture drawn
   * afresh (weights and Adam moments) at the start of every epoch (the resetting critic of §4.2),
   * `mse` the data-space mean squared error (network values).
   */
  loss: { kld: number; mmd: number; latentCritic: number; critic: number; resetCritic: number; mse: number };
  /** Kernel coefficients α of the latent MMD, exp(−α‖a − b‖²) summed (published 1 and 0.01). */
  mmdAlphas: number[];
  /** The post-processor (§4.1): per-cell networks trained in a second stage with the BIB-AE frozen. */
  postProcessor: {
    enabled: boolean;
    /** Channels of the per-cell layers (published 128). */
    channels: number;
    /** Width of the conditioning MLP on [energy sum, condition] (published 64). */
    conditionWidth: number;
    /** Hidden per-cell layers after the conditioning joins (published 4). */
    layers: number;
    /** Weight of MSE(PP(x̂), x̂) (the identity term). */
    mse: number;
    /** Weight of the sorted-kernel MMD between PP(x̂) and x (published 5). */
    sortedMmd: number;
    /** Sorted-kernel MMD: window, stride, sorted positions compared, and α (in network units). */
    window: number;
    stride: number;
    positions: number;
    alpha: number;
    /** Epochs of the identity warm-up (MSE only) before the MMD joins. */
    identityEpochs: number;
    /**
     * Whether the post-processor sees the decoder's shower after the data's readout threshold and
     * keeps its empty cells at 0 (the output is multiplied by [x̂ > 0]): it then reshapes the
     * spectrum of the decoder's hits and can switch hits off, but cannot light the empty cells
     * (without it, its output on a 0 input is one value per shower, which lit every empty cell of
     * high-energy showers, and it lifted cells below the threshold into hits at low energies).
     */
    keepZeros: boolean;
    /**
     * `direct`: the cell layers map the value v to the output (published); `residual`: they see
     * log(1 + v) and correct it, output ReLU(v·(1 + Δ)) with Δ 0 at the start (for values in MeV).
     */
    form: 'direct' | 'residual';
    /** Epoch limit of the post-processor stage. */
    maxEpochs: number;
  };
  /** The latent sampler of generation. */
  sampler: {
    kind: LatentSamplerKind;
    /** KDE bandwidth rule: Scott's n^(−1/(d+4)) or Silverman's (n(d+2)/4)^(−1/(d+4)), times the data covariance. */
    bandwidth: 'scott' | 'silverman';
    /** Training showers whose encoded latents the KDE keeps (at most). */
    kdeShowers: number;
    /** The conditional flow on [latent, energy sum] given the condition: spline couplings. */
    flow: { couplings: number; hidden: number; blocks: number; bins: number; learningRate: number; maxEpochs: number; batchSize: number };
  };
  /** Relative time shares of the stages under a time limit: BIB-AE, post-processor, flow sampler. */
  shares: { bibae: number; postProcessor: number; sampler: number };
  /** Held-out showers generated and scored after each epoch. */
  validationShowers: number;
  /** Groups by incident energy in which the validation also compares E_dep/E_inc (0: all together). */
  validationEnergyGroups: number;
  /** Whether the validation counts a cell as hit only from the data's readout threshold. */
  validationHitThreshold: boolean;
  /** A step whose critic loss exceeds this in magnitude counts as divergence. */
  divergenceLimit: number;
  /**
   * The data's readout threshold on the decoder's (stage 1) and post-processor's (stage 2) output
   * while training, as generation applies it (representations with `dense.readoutThreshold`):
   * `off`, `kept` (the mask's gradient: zero below the threshold) or `straight-through` (the
   * gradient passes the mask, so cells below the threshold can still learn to rise above it).
   */
  trainingReadout: 'off' | 'kept' | 'straight-through';
  /**
   * The dense variant: hidden widths, what the networks see (core's `preprocessing/representation.ts`)
   * and the physics features of the difference critic's candidate branch (core's `CriticFeatureSettings`).
   */
  dense: CriticFeatureSettings & {
    encoderHidden: number[];
    decoderHidden: number[];
    criticHidden: number[];
    representation: DenseRepresentation;
    root: number;
    /** Generated deposits below the data's smallest deposit set to 0 (config.json `preprocessing.threshold`). */
    readoutThreshold: boolean;
    /** The decoder's output ReLU in training: `relu`, or `straight-through` (the gradient passes where it is 0 too; no dead cells). */
    outputGradient: 'relu' | 'straight-through';
  };
  /** Sizes of the convolutional variant (§4.1: ngf 8, ndf 128). */
  conv: ConvSizes;
}

const adam = (learningRate: number, beta1 = 0.5, beta2 = 0.9): AdamConfig => ({ learningRate, beta1, beta2 });

/** Whether a geometry is the ILD 30³ grid the published conv networks are for. */
export function hasConvLayout(geometry: Geometry): boolean {
  return geometry.kind === 'grid' && geometry.shape.join('x') === '30x30x30';
}

/**
 * The dense default (any geometry): the published loss structure with a data-space MSE term for
 * fast convergence on a CPU budget, root-fraction voxels (as the WGAN's dense recipe), a
 * post-processor of 64 channels with the sorted-kernel MMD, and a flow sampler.
 */
function denseDefaults(): BibAeConfig {
  return {
    architecture: 'dense',
    latentDim: 64,
    activeDim: 24,
    batchSize: 128,
    maxEpochs: 200,
    patience: 25,
    schedule: 'cosine',
    criticIterations: 1,
    gradientPenalty: 10,
    optimizer: { main: adam(5e-4), critic: adam(5e-4), latentCritic: adam(2e-3), postProcessor: adam(5e-4) },
    loss: { kld: 0.05, mmd: 100, latentCritic: 1, critic: 1, resetCritic: 1, mse: 10 },
    mmdAlphas: [1, 0.01],
    postProcessor: { enabled: true, channels: 64, conditionWidth: 64, layers: 3, mse: 100, sortedMmd: 5, window: 32, stride: 16, positions: 368, alpha: 200, identityEpochs: 0, maxEpochs: 100, keepZeros: true, form: 'direct' },
    sampler: { kind: 'flow', bandwidth: 'scott', kdeShowers: 20000, flow: { couplings: 6, hidden: 64, blocks: 2, bins: 8, learningRate: 1e-3, maxEpochs: 200, batchSize: 512 } },
    shares: { bibae: 5, postProcessor: 4, sampler: 1 },
    validationShowers: 2000,
    validationEnergyGroups: 5,
    validationHitThreshold: true,
    divergenceLimit: 1e6,
    trainingReadout: 'straight-through',
    dense: {
      encoderHidden: [512, 256], decoderHidden: [256, 512], criticHidden: [256, 256], representation: 'root-fraction', root: 4, readoutThreshold: true, outputGradient: 'straight-through',
      criticFeatures: true, criticLateralFeatures: true, criticLateralLayers: 'angular', criticFeatureScale: 0.5, criticLateralScale: 0.5,
    },
    conv: { ...PUBLISHED_CONV_SIZES },
  };
}

/**
 * §4.1 as published on the ILD 30³ grid (512 latent dimensions, 24 active, 5 critic steps, lr
 * 5e-4 / latent critic 2e-3, batch 8, loss 0.05·KLD + 100·MMD − critic − 100·latent critic, no
 * MSE; showers in MeV; post-processor 128 channels × 4 layers; KDE sampler) over the dense
 * defaults. On this project's 2-core CPU it takes 6.1 s a step (76 M parameters): one epoch of
 * 5 000 showers is 50 minutes, so it is not the default there (`bibAeDefaults`); the generation
 * and training benchmarks time these networks.
 */
export function publishedConvDefaults(): BibAeConfig {
  const d = denseDefaults();
  return {
    ...d,
    architecture: 'conv',
    latentDim: 512,
    activeDim: 24,
    batchSize: 8,
    maxEpochs: 20,
    patience: 10,
    schedule: 'constant',
    criticIterations: 5,
    optimizer: { main: adam(5e-4), critic: adam(5e-4), latentCritic: adam(2e-3), postProcessor: adam(5e-4) },
    loss: { kld: 0.05, mmd: 100, latentCritic: 100, critic: 1, resetCritic: 0, mse: 0 },
    postProcessor: { ...d.postProcessor, channels: 128, layers: 4, mse: 1, sortedMmd: 5, window: 100, stride: 25, positions: 2000, alpha: 200, identityEpochs: 1, maxEpochs: 10, keepZeros: false },
    sampler: { ...d.sampler, kind: 'kde' },
    validationShowers: 100,
    validationEnergyGroups: 0,
    validationHitThreshold: false,
    divergenceLimit: 1e8,
  };
}

/**
 * The default for a geometry. On the ILD 30³ grid: the §4.1 networks and losses
 * (`publishedConvDefaults`) at sizes that train on a CPU in the two-hour budget — ngf 4, ndf 16,
 * one Dense layer of 256 in encoder and decoder (3.2 M parameters instead of 76 M; 0.3 steps/s at
 * batch 32 on 2 cores) — with 2 critic steps per step, a cosine schedule, a post-processor of 64
 * channels × 3 layers in the residual form that keeps the decoder's empty cells empty (and so
 * computes the hit cells only), the flow sampler on standardised latents (it draws E_dep/E_inc with
 * the latent: linearity within 1 % and resolution within 10 % of the simulator's, where the KDE gave
 * up to 6 % and 48–84 %), time shares 8 : 2 : 1 and 500 validation showers: the shipped model's recipe
 * (models/ild-ecal). Everywhere else the dense default.
 */
export function bibAeDefaults(geometry: Geometry): BibAeConfig {
  if (!hasConvLayout(geometry)) return denseDefaults();
  const p = publishedConvDefaults();
  return {
    ...p,
    batchSize: 32,
    criticIterations: 2,
    schedule: 'cosine',
    maxEpochs: 200,
    patience: 25,
    conv: { ngf: 4, ndf: 16, encoderHidden: [256], decoderHidden: [256] },
    postProcessor: { ...p.postProcessor, channels: 64, layers: 3, keepZeros: true, form: 'residual', identityEpochs: 0, maxEpochs: 100 },
    sampler: { ...p.sampler, kind: 'flow' },
    shares: { bibae: 8, postProcessor: 2, sampler: 1 },
    validationShowers: 500,
  };
}

/** Checks the values `mergeConfig` cannot (enumerations, ranges); returns `c`. */
export function checkBibAeConfig(c: BibAeConfig, source: string): BibAeConfig {
  const bad = (key: string, why: string): never => {
    throw new ConfigError(`${source}: "${key}" ${why}.`);
  };
  const posInt = (key: string, v: number): void => {
    if (!(Number.isInteger(v) && v >= 1)) bad(key, `must be a positive integer, found ${JSON.stringify(v)}`);
  };
  const nonNeg = (key: string, v: number): void => {
    if (!(v >= 0)) bad(key, `must be ≥ 0, found ${JSON.stringify(v)}`);
  };
  const widths = (key: string, h: number[]): void => {
    if (h.length === 0 || !h.every((x) => Number.isInteger(x) && x >= 1)) bad(key, `must list one or more positive integers, found ${JSON.stringify(h)}`);
  };
  const oneOf = (key: string, v: string, allowed: readonly string[]): void => {
    if (!allowed.includes(v)) bad(key, `must be one of ${allowed.join(', ')}; found ${JSON.stringify(v)}`);
  };
  oneOf('architecture', c.architecture, ['conv', 'dense']);
  oneOf('schedule', c.schedule, ['constant', 'cosine']);
  oneOf('sampler.kind', c.sampler.kind, ['normal', 'kde', 'flow']);
  oneOf('sampler.bandwidth', c.sampler.bandwidth, ['scott', 'silverman']);
  oneOf('postProcessor.form', c.postProcessor.form, ['direct', 'residual']);
  oneOf('trainingReadout', c.trainingReadout, ['off', 'kept', 'straight-through']);
  oneOf('dense.outputGradient', c.dense.outputGradient, ['relu', 'straight-through']);
  for (const [key, why] of criticFeatureSettingsProblems(c.dense)) bad(key, why);
  oneOf('dense.representation', c.dense.representation, ['fraction', 'sqrt-fraction', 'root-fraction', 'log-fraction']);
  for (const [k, v] of Object.entries({ latentDim: c.latentDim, activeDim: c.activeDim, batchSize: c.batchSize, maxEpochs: c.maxEpochs, patience: c.patience, criticIterations: c.criticIterations, validationShowers: c.validationShowers })) posInt(k, v);
  if (c.activeDim > c.latentDim) bad('activeDim', `must be ≤ latentDim (${c.latentDim}), found ${c.activeDim}`);
  for (const [k, v] of Object.entries(c.loss)) nonNeg(`loss.${k}`, v);
  nonNeg('gradientPenalty', c.gradientPenalty);
  if (!(c.divergenceLimit > 0)) bad('divergenceLimit', `must be > 0, found ${c.divergenceLimit}`);
  if (!(Number.isInteger(c.validationEnergyGroups) && c.validationEnergyGroups >= 0)) bad('validationEnergyGroups', `must be a non-negative integer, found ${JSON.stringify(c.validationEnergyGroups)}`);
  if (c.mmdAlphas.length === 0 || !c.mmdAlphas.every((a) => a > 0)) bad('mmdAlphas', `must list one or more positive numbers, found ${JSON.stringify(c.mmdAlphas)}`);
  for (const [k, a] of Object.entries(c.optimizer)) {
    if (!(a.learningRate > 0)) bad(`optimizer.${k}.learningRate`, `must be > 0, found ${a.learningRate}`);
    if (!(a.beta1 >= 0 && a.beta1 < 1)) bad(`optimizer.${k}.beta1`, `must be in [0, 1), found ${a.beta1}`);
    if (!(a.beta2 >= 0 && a.beta2 < 1)) bad(`optimizer.${k}.beta2`, `must be in [0, 1), found ${a.beta2}`);
  }
  const pp = c.postProcessor;
  for (const k of ['channels', 'conditionWidth', 'layers', 'window', 'stride', 'positions', 'maxEpochs'] as const) posInt(`postProcessor.${k}`, pp[k]);
  for (const k of ['mse', 'sortedMmd', 'alpha', 'identityEpochs'] as const) nonNeg(`postProcessor.${k}`, pp[k]);
  const f = c.sampler.flow;
  for (const k of ['couplings', 'hidden', 'blocks', 'bins', 'maxEpochs', 'batchSize'] as const) posInt(`sampler.flow.${k}`, f[k]);
  if (!(f.learningRate > 0)) bad('sampler.flow.learningRate', `must be > 0, found ${f.learningRate}`);
  posInt('sampler.kdeShowers', c.sampler.kdeShowers);
  for (const [k, v] of Object.entries(c.shares)) nonNeg(`shares.${k}`, v);
  posInt('dense.root', c.dense.root);
  widths('dense.encoderHidden', c.dense.encoderHidden);
  widths('dense.decoderHidden', c.dense.decoderHidden);
  widths('dense.criticHidden', c.dense.criticHidden);
  posInt('conv.ngf', c.conv.ngf);
  posInt('conv.ndf', c.conv.ndf);
  widths('conv.encoderHidden', c.conv.encoderHidden);
  widths('conv.decoderHidden', c.conv.decoderHidden);
  return c;
}

/** Checks that the config's architecture has networks for `geometry`. */
export function checkArchitecture(c: BibAeConfig, geometry: Geometry, source: string): void {
  if (c.architecture === 'conv' && !hasConvLayout(geometry)) {
    const shape = geometry.kind === 'grid' ? `a ${geometry.shape.join('×')} grid` : `a ${geometry.kind} geometry`;
    throw new ConfigError(`${source}: "architecture" conv has the published layer lists for the 30×30×30 grid (ild-ecal) only, and "${geometry.id}" is ${shape}; use "architecture": "dense".`);
  }
}

/**
 * A saved config (config.json `config`) with the keys added after it was written set to the
 * values it was trained with, not to today's defaults: `trainingReadout` `off`,
 * `dense.criticFeatures` and `dense.criticLateralFeatures` false (the critic's input width
 * depends on them), `loss.resetCritic` 0 (no resetting critic among the weights),
 * `dense.outputGradient` `relu`, `postProcessor.keepZeros` false and `postProcessor.form` `direct` (generation depends on them).
 */
export function withLegacyKeys(raw: unknown): unknown {
  return withLegacyValues(raw, {
    trainingReadout: 'off', loss: { resetCritic: 0 }, dense: { criticFeatures: false, criticLateralFeatures: false, outputGradient: 'relu' }, postProcessor: { keepZeros: false, form: 'direct' },
  });
}

/** Parses a raw config over `defaults` (or the dense defaults), rejecting unknown keys and bad values. */
export function parseBibAeConfig(raw: unknown, source: string, defaults: BibAeConfig = denseDefaults()): BibAeConfig {
  return checkBibAeConfig(mergeConfig(defaults, raw, source), source);
}
