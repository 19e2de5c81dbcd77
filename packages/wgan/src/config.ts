/**
 * The WGAN package's configuration: one interface for both plugins (`wgan-gp`, `gan`), the
 * default per geometry (field-reference.md §4.4 for the ILD photon grid, §4.5 for the ILD pion
 * grid, the dense variant everywhere else; §4.6 for the plain GAN) and the value checks that
 * `mergeConfig` (which checks keys and JSON types only) leaves to the plugin.
 */
import { ConfigError, DEFAULT_HIT_CUT_MEV, criticFeatureSettingsProblems, mergeConfig, withLegacyValues, type Geometry } from '@calozoo/core';
import type { DenseRepresentation, RepresentationConfig } from '@calozoo/core';

/** Network family: the published 3-D convolutional layer lists, or MLPs for any geometry. */
export type WganArchitecture = 'conv' | 'dense';

/** Adversarial loss: Wasserstein with gradient penalty, or the original binary cross-entropy GAN. */
export type WganLoss = 'wgan-gp' | 'bce';

/** Adam settings of one network. */
export interface AdamConfig {
  /** Learning rate (constant). */
  learningRate: number;
  /** First-moment decay. */
  beta1: number;
  /** Second-moment decay. */
  beta2: number;
}

/** The full configuration of a `wgan-gp` or `gan` model (written to config.json). */
export interface WganConfig {
  /** `conv` (ILD grids 30×30×30 and 48×25×25 only) or `dense` (any geometry). */
  architecture: WganArchitecture;
  /** `wgan-gp` (critic, gradient penalty) or `bce` (discriminator, the plain GAN of §4.6). */
  loss: WganLoss;
  /** Noise dimensions; the noise is uniform in [−1, 1] as in the published code (§4.4). */
  latentDim: number;
  /** λ, the weight of the gradient penalty (ignored by `bce`). */
  gradientPenalty: number;
  /** Critic (discriminator) updates per generator update, each on its own batch. */
  criticIterations: number;
  /** Adam of the generator. */
  generator: AdamConfig;
  /** Adam of the critic (discriminator). */
  critic: AdamConfig;
  /**
   * Learning-rate schedule of the three optimisers: `constant`, or `cosine` (annealed from the
   * configured rates to 0 over the planned steps; under a time limit the engine plans the steps
   * that fit, so the rates reach 0 at the deadline and the last epochs settle).
   */
  schedule: 'constant' | 'cosine';
  /** Showers per step. */
  batchSize: number;
  /**
   * Showers per critic pass (0: the whole batch): the critic update's gradient is accumulated
   * over slices of at most this many showers (core's `UpdateSpec.split`), the same update up to
   * float rounding and the draw order of the noise, with one slice's activations in memory at a
   * time. The §4.5 ResNet critic with its gradient penalty keeps over 230 MB per shower on
   * native TensorFlow, so its batch of 100 needs slices to fit 24 GB. 0 in configs written before the key existed.
   */
  criticSliceRows: number;
  /**
   * Factor on the representation's network condition (core's `withConditionScale`): 1 keeps
   * (log10(E_inc / MeV) − 4.5) / 2, ±0.25 over 10–100 GeV; 4 spreads that range over ±1. Ignored
   * by the `mev` representation's E in GeV. 1 in configs written before the key existed.
   */
  conditionScale: number;
  /** Maximum epochs (one epoch = every training shower seen once by the critic); `FitOptions.epochs` overrides. */
  maxEpochs: number;
  /** Stop after this many epochs without a better validation score. */
  patience: number;
  /** Held-out showers generated and compared after each epoch (the validation score, core's `train/validation-score.ts`). */
  validationShowers: number;
  /** Groups by incident energy in which the validation score also compares E_dep/E_inc (0: all energies together only). */
  validationEnergyGroups: number;
  /** Whether the validation counts a cell as hit only from the data's smallest deposit (its readout threshold) instead of from any positive value. */
  validationHitThreshold: boolean;
  /**
   * The gradient through the readout threshold (`dense.readoutThreshold`, `conv.readoutThreshold`)
   * in the generator's loss: `kept` (zeroed cells get none, so the critic can switch cells off but
   * never on) or `straight-through` (every cell as if no threshold were applied; core's
   * `applyReadout`). `kept` in configs written before the key existed.
   */
  readoutGradient: 'kept' | 'straight-through';
  /** A step whose critic loss exceeds this in magnitude counts as divergence (rolled back). */
  divergenceLimit: number;
  /** The energy constrainer (§4.4): a regressor of the condition from the shower, trained on real showers. */
  constrainer: {
    enabled: boolean;
    /** κ, the weight of the constrainer term in the generator loss. */
    weight: number;
    /** Adam of the constrainer (the published code uses SGD with lr 1e-5; the engine has Adam only). */
    optimizer: AdamConfig;
  };
  /** The convolutional variant: sizes (§4.4: ngf = ndf = 32, constrainer 16 channels) and the readout. */
  conv: {
    ngf: number;
    ndf: number;
    constrainerChannels: number;
    /**
     * The critic's network: `dcgan`, §4.4's convolution stack + MLP head (`ConvCritic`), or
     * `resnet`, §4.5's 3-D ResNet with instance normalisation (`ResNetCritic`, 2·ndf and 4·ndf
     * channels): the published critic of the 48×25×25 pion grid. `dcgan` in configs written before the key existed.
     */
    critic: 'dcgan' | 'resnet';
    /**
     * Whether generated deposits below the training data's smallest deposit (its readout
     * threshold, config.json `preprocessing.threshold`) are set to 0, in training (what the
     * critic sees) and in generation, as `dense.readoutThreshold` does for the dense variant: the
     * generator's last ReLU leaves about half the cells positive, and ILD photon showers hit ~2 %
     * of them. False in configs written before the key existed.
     */
    readoutThreshold: boolean;
    /**
     * What the conv networks see: `mev` (the published cell energies in MeV, condition E in GeV) or
     * one of the dense representations relative to E_inc (core's `preprocessing/representation.ts`;
     * then the condition is (log10(E_inc / MeV) − 4.5) / 2). `mev` in configs written before the key existed.
     */
    representation: 'mev' | DenseRepresentation;
    /** k of the `root-fraction` representation (ignored by the others). */
    root: number;
    /**
     * Whether the critic also sees E_dep/E_inc and the layer fractions (and, with
     * `criticLateralFeatures`, each layer's centre and width in x and y) of each shower, joined to
     * the flattened convolution output beside E and interpolated with the voxels in the gradient
     * penalty (the dense variant's `input` mode); needs a representation relative to E_inc. False
     * in configs written before the key existed.
     */
    criticFeatures: boolean;
    /** Per-layer lateral centres and widths among the critic's features (with `criticFeatures`); false in configs written before the key existed. */
    criticLateralFeatures: boolean;
    /** Which layers' lateral features count (grids: every layer has them, so `all`). */
    criticLateralLayers: 'all' | 'angular';
    /** Factor on the standardised energy features. */
    criticFeatureScale: number;
    /** Factor on the standardised lateral features. */
    criticLateralScale: number;
    /**
     * Whether the critic's features (with `criticFeatures`) also hold, per layer, a soft count of
     * the cells above `criticHitCut` MeV (core's `train/critic-features.ts`): the n_hit profile the
     * voxel values alone show the critic poorly. False in configs written before the key existed.
     */
    criticHitFeatures: boolean;
    /** The hit counts' cut in MeV (0.1: the ILD MIP cut). */
    criticHitCut: number;
    /**
     * K > 0: the critic's features (with `criticFeatures`) also hold the shower's cell-energy
     * spectrum, soft counts of the cells above K cuts at the quantiles k/(K + 1) of the training
     * deposits (core's `train/critic-features.ts`; the MIP peak); 0: off, and in configs written before the key existed.
     */
    criticSpectrumCuts: number;
  };
  /** The dense variant: hidden widths of its MLPs, and what its networks see (core's `preprocessing/representation.ts`). */
  dense: {
    generatorHidden: number[];
    criticHidden: number[];
    constrainerHidden: number[];
    representation: DenseRepresentation;
    /**
     * Whether generated deposits below the training data's smallest deposit (its readout
     * threshold, fitted by `fit`, config.json `preprocessing.threshold`) are set to 0, in
     * training (what the critic sees) and in generation; false in configs written before the key existed.
     */
    readoutThreshold: boolean;
    /** k of the `root-fraction` representation, x = (u / u_max)^(1/k) (ignored by the others). */
    root: number;
    /**
     * Whether the critic also sees E_dep/E_inc and the layer fractions of each shower, computed
     * in the graph from the voxels (core's `train/critic-features.ts`); false in configs written before the key existed.
     */
    criticFeatures: boolean;
    /**
     * Whether the critic's features (with `criticFeatures`) also hold, per layer, the
     * energy-weighted centre and width in both transverse coordinates (core's `train/critic-features.ts`: the
     * CaloChallenge high-level observables); false in configs written before the key existed.
     */
    criticLateralFeatures: boolean;
    /** Factor on the standardised lateral features (with `criticLateralFeatures`; the energy features take `criticFeatureScale`). */
    criticLateralScale: number;
    /**
     * Which layers' lateral features the critic weighs: `all`, or `angular` (only layers with more
     * than one angular bin; on a layer with one, the centre and width are radial only). Grids: all.
     */
    criticLateralLayers: 'all' | 'angular';
    /**
     * How the critic's features meet the gradient penalty: `input` (extra critic inputs: real and
     * generated features are interpolated with the voxels and the penalty is taken with respect to
     * the joint input, so a standardised unit of a feature counts like a unit of a voxel value) or
     * `derived` (functions of the voxels inside the critic: the penalty is on the voxels through
     * them, which leaves the sums a small share of the distance).
     */
    criticFeatureMode: 'input' | 'derived';
    /** Factor on the standardised features (with `input`: their weight in the critic's distance against the voxels'). */
    criticFeatureScale: number;
  };
}

const adam = (learningRate: number, beta1: number, beta2: number): AdamConfig => ({ learningRate, beta1, beta2 });

/** Which published convolutional layer list fits a geometry: the 30³ photon grid, the 48×25×25 pion grid, or none. */
export function convLayout(geometry: Geometry): 'ild-30' | 'ild-48' | null {
  if (geometry.kind !== 'grid') return null;
  const s = geometry.shape.join('x');
  return s === '30x30x30' ? 'ild-30' : s === '48x25x25' ? 'ild-48' : null;
}

/**
 * The first dense settings (tuned on one short DS1 run only): what the conv recipes build on
 * (they override the optimisation) and what the plain GAN keeps on every geometry. Every later
 * option is off here.
 */
function plainDefaults(): WganConfig {
  return {
    architecture: 'dense',
    loss: 'wgan-gp',
    latentDim: 100,
    gradientPenalty: 10,
    criticIterations: 5,
    generator: adam(1e-4, 0.5, 0.9),
    critic: adam(1e-4, 0.5, 0.9),
    schedule: 'constant',
    batchSize: 128,
    criticSliceRows: 0,
    conditionScale: 1,
    maxEpochs: 200,
    patience: 30,
    validationShowers: 2000,
    validationEnergyGroups: 0,
    validationHitThreshold: false,
    readoutGradient: 'kept',
    divergenceLimit: 1e5,
    constrainer: { enabled: true, weight: 1, optimizer: adam(1e-4, 0.5, 0.9) },
    conv: {
      ngf: 32, ndf: 32, constrainerChannels: 16, critic: 'dcgan', readoutThreshold: false, representation: 'mev', root: 4,
      criticFeatures: false, criticLateralFeatures: false, criticLateralLayers: 'all', criticFeatureScale: 0.5, criticLateralScale: 0.5, criticHitFeatures: false, criticHitCut: DEFAULT_HIT_CUT_MEV, criticSpectrumCuts: 0,
    },
    dense: { generatorHidden: [256, 512], criticHidden: [512, 256], constrainerHidden: [128], representation: 'sqrt-fraction', root: 4, criticFeatures: false, criticLateralFeatures: false, criticLateralScale: 0.5, criticLateralLayers: 'all', criticFeatureMode: 'input', criticFeatureScale: 1, readoutThreshold: false },
  };
}

/**
 * What the dense and the ILD 30³ recipes set over `base`: two critic steps per generator step at
 * lr 2e-4 for both, annealed to 0 (cosine), the straight-through readout gradient, no energy
 * constrainer (with the critic seeing E_dep/E_inc itself it cost FPD in two seeds, README
 * "Ablation"), and a validation score that compares the response in 5 energy groups and counts
 * hits from the readout threshold.
 */
function recipeOptimisation(base: WganConfig): WganConfig {
  return {
    ...base,
    criticIterations: 2,
    generator: adam(2e-4, 0.5, 0.9),
    critic: adam(2e-4, 0.5, 0.9),
    schedule: 'cosine',
    readoutGradient: 'straight-through',
    constrainer: { ...base.constrainer, enabled: false },
    validationEnergyGroups: 5,
    validationHitThreshold: true,
  };
}

/**
 * The dense WGAN-GP recipe for any geometry (CaloChallenge datasets, small grids), from the
 * dataset-1 photon experiments in the README ("Measured"): the critic also sees E_dep/E_inc, the
 * layer fractions and the lateral centres and widths of the layers with angular bins as extra
 * inputs, voxels as fourth roots of E/E_inc, the data's readout threshold on the generator with a
 * straight-through gradient, two critic steps per generator
 * step at lr 2e-4 annealed to 0 (cosine), no energy constrainer, and a validation score that
 * compares the response per energy and counts hits from the threshold.
 */
function denseDefaults(): WganConfig {
  const p = plainDefaults();
  return {
    ...recipeOptimisation(p),
    dense: { ...p.dense, representation: 'root-fraction', root: 4, criticFeatures: true, criticLateralFeatures: true, criticLateralLayers: 'angular', criticFeatureMode: 'input', criticFeatureScale: 0.5, readoutThreshold: true },
  };
}

/** The published conv recipe of an ILD grid (§4.4 on 30×30×30, §4.5 on 48×25×25; what the benchmarks time); null elsewhere. */
export function publishedConv(geometry: Geometry): WganConfig | null {
  const layout = convLayout(geometry);
  if (!layout) return null;
  const base = plainDefaults();
  // What the two published conv recipes share: the conv networks, Adam betas (0.5, 0.9), the
  // constrainer's optimiser, epochs and validation sizes.
  const conv = (o: { gradientPenalty: number; criticIterations: number; lrG: number; lrD: number; batchSize: number; kappa: number }): WganConfig => ({
    ...base,
    architecture: 'conv',
    gradientPenalty: o.gradientPenalty,
    criticIterations: o.criticIterations,
    generator: adam(o.lrG, 0.5, 0.9),
    critic: adam(o.lrD, 0.5, 0.9),
    batchSize: o.batchSize,
    maxEpochs: 20,
    patience: 10,
    validationShowers: 100,
    divergenceLimit: 1e8,
    constrainer: { enabled: true, weight: o.kappa, optimizer: adam(1e-4, 0.5, 0.9) },
    conv: { ...base.conv, critic: layout === 'ild-48' ? 'resnet' : 'dcgan' },
    // The ResNet critic in slices of 20 showers: a step of 100 peaks at 10.9 GB; whole, it was killed at 24 GB.
    criticSliceRows: layout === 'ild-48' ? 20 : 0,
  });
  // §4.4 (getting_high WGAN/wGAN.py defaults): λ 5, 5 critic steps, lr G 1e-4, D 1e-5, batch 50, κ 0.01.
  if (layout === 'ild-30') return conv({ gradientPenalty: 5, criticIterations: 5, lrG: 1e-4, lrD: 1e-5, batchSize: 50, kappa: 0.01 });
  // §4.5: λ 25, κ 1, 10 critic steps, lr 1e-5 (G and D), batch 100; the ResNet critic.
  return conv({ gradientPenalty: 25, criticIterations: 10, lrG: 1e-5, lrD: 1e-5, batchSize: 100, kappa: 1 });
}

/**
 * The `wgan-gp` default for a geometry: on 30×30×30 the CPU recipe over §4.4's networks
 * (`ild30Recipe`; the published one learned nothing in two CPU runs, README "ILD 30³ photons"),
 * §4.5's hyper-parameters on 48×25×25, the dense recipe elsewhere.
 */
export function wganDefaults(geometry: Geometry): WganConfig {
  const published = publishedConv(geometry);
  if (!published) return denseDefaults();
  return convLayout(geometry) === 'ild-30' ? ild30Recipe(published) : published;
}

/**
 * The ILD 30³ recipe that trains on a CPU, over the published §4.4 settings `published`: networks
 * at a quarter of the published width (ngf = ndf = 8), values as fourth roots of E/E_inc with the
 * data's readout threshold (straight-through gradient), the critic seeing E_dep/E_inc, the layer
 * fractions and each layer's centres and widths, 2 critic steps per generator step at lr 2e-4
 * annealed by a cosine, no constrainer, and a validation score on 500 showers per epoch.
 */
function ild30Recipe(published: WganConfig): WganConfig {
  return {
    ...recipeOptimisation(published),
    maxEpochs: 200,
    patience: 30,
    validationShowers: 500,
    conv: {
      ...published.conv, ngf: 8, ndf: 8, readoutThreshold: true, representation: 'root-fraction', root: 4,
      criticFeatures: true, criticLateralFeatures: true, criticLateralLayers: 'all', criticFeatureScale: 0.5, criticLateralScale: 0.5, criticHitFeatures: true, criticSpectrumCuts: 8,
    },
  };
}

/** The `gan` default for a geometry: §4.6 (BCE, one discriminator step per generator step, Adam lr 1e-5, betas (0.5, 0.999), batch 32, no constrainer). */
export function ganDefaults(geometry: Geometry): WganConfig {
  // The plain GAN keeps the first dense settings (none of the WGAN-GP recipe's options was tried with BCE).
  const w = publishedConv(geometry) ?? plainDefaults();
  return {
    ...w,
    loss: 'bce',
    gradientPenalty: 0,
    criticIterations: 1,
    generator: adam(1e-5, 0.5, 0.999),
    critic: adam(1e-5, 0.5, 0.999),
    batchSize: 32,
    constrainer: { ...w.constrainer, enabled: false },
  };
}

/** Checks the values `mergeConfig` cannot (enumerations, ranges); returns `c`. */
export function checkWganConfig(c: WganConfig, source: string): WganConfig {
  const bad = (key: string, why: string): never => {
    throw new ConfigError(`${source}: "${key}" ${why}.`);
  };
  const posInt = (key: string, v: number): void => {
    if (!(Number.isInteger(v) && v >= 1)) bad(key, `must be a positive integer, found ${JSON.stringify(v)}`);
  };
  const checkAdam = (key: string, a: AdamConfig): void => {
    if (!(a.learningRate > 0)) bad(`${key}.learningRate`, `must be > 0, found ${a.learningRate}`);
    if (!(a.beta1 >= 0 && a.beta1 < 1)) bad(`${key}.beta1`, `must be in [0, 1), found ${a.beta1}`);
    if (!(a.beta2 >= 0 && a.beta2 < 1)) bad(`${key}.beta2`, `must be in [0, 1), found ${a.beta2}`);
  };
  if (!['conv', 'dense'].includes(c.architecture)) bad('architecture', `must be one of conv, dense; found ${JSON.stringify(c.architecture)}`);
  if (!['dcgan', 'resnet'].includes(c.conv.critic)) bad('conv.critic', `must be one of dcgan, resnet; found ${JSON.stringify(c.conv.critic)}`);
  if (!['kept', 'straight-through'].includes(c.readoutGradient)) bad('readoutGradient', `must be one of kept, straight-through; found ${JSON.stringify(c.readoutGradient)}`);
  if (!['constant', 'cosine'].includes(c.schedule)) bad('schedule', `must be one of constant, cosine; found ${JSON.stringify(c.schedule)}`);
  if (!['wgan-gp', 'bce'].includes(c.loss)) bad('loss', `must be one of wgan-gp, bce; found ${JSON.stringify(c.loss)}`);
  for (const [k, v] of [['latentDim', c.latentDim], ['criticIterations', c.criticIterations], ['batchSize', c.batchSize], ['maxEpochs', c.maxEpochs], ['patience', c.patience], ['validationShowers', c.validationShowers]] as const) posInt(k, v);
  for (const [k, v] of [['conv.ngf', c.conv.ngf], ['conv.ndf', c.conv.ndf], ['conv.constrainerChannels', c.conv.constrainerChannels]] as const) posInt(k, v);
  if (!(Number.isInteger(c.criticSliceRows) && c.criticSliceRows >= 0)) bad('criticSliceRows', `must be a non-negative integer (0: the whole batch), found ${JSON.stringify(c.criticSliceRows)}`);
  if (!(Number.isInteger(c.validationEnergyGroups) && c.validationEnergyGroups >= 0)) bad('validationEnergyGroups', `must be a non-negative integer, found ${JSON.stringify(c.validationEnergyGroups)}`);
  if (!(Number.isFinite(c.conditionScale) && c.conditionScale > 0)) bad('conditionScale', `must be a finite number > 0, found ${JSON.stringify(c.conditionScale)}`);
  if (!(c.gradientPenalty >= 0)) bad('gradientPenalty', `must be ≥ 0, found ${c.gradientPenalty}`);
  if (!(c.divergenceLimit > 0)) bad('divergenceLimit', `must be > 0, found ${c.divergenceLimit}`);
  if (!(c.constrainer.weight >= 0)) bad('constrainer.weight', `must be ≥ 0, found ${c.constrainer.weight}`);
  checkAdam('generator', c.generator);
  checkAdam('critic', c.critic);
  checkAdam('constrainer.optimizer', c.constrainer.optimizer);
  if (!['fraction', 'sqrt-fraction', 'root-fraction', 'log-fraction'].includes(c.dense.representation)) bad('dense.representation', `must be one of fraction, sqrt-fraction, root-fraction, log-fraction; found ${JSON.stringify(c.dense.representation)}`);
  posInt('dense.root', c.dense.root);
  if (!['mev', 'fraction', 'sqrt-fraction', 'root-fraction', 'log-fraction'].includes(c.conv.representation)) bad('conv.representation', `must be one of mev, fraction, sqrt-fraction, root-fraction, log-fraction; found ${JSON.stringify(c.conv.representation)}`);
  posInt('conv.root', c.conv.root);
  for (const [key, why] of criticFeatureSettingsProblems(c.conv, 'conv.')) bad(key, why);
  if (c.conv.criticFeatures && c.conv.representation === 'mev') bad('conv.criticFeatures', 'needs a representation relative to E_inc ("conv.representation" fraction, sqrt-fraction, root-fraction or log-fraction), found "mev"');
  for (const [key, why] of criticFeatureSettingsProblems(c.dense)) bad(key, why);
  if (!['input', 'derived'].includes(c.dense.criticFeatureMode)) bad('dense.criticFeatureMode', `must be one of input, derived; found ${JSON.stringify(c.dense.criticFeatureMode)}`);
  for (const k of ['generatorHidden', 'criticHidden', 'constrainerHidden'] as const) {
    const h = c.dense[k];
    if (h.length === 0 || !h.every((x) => Number.isInteger(x) && x >= 1)) bad(`dense.${k}`, `must list one or more positive integers, found ${JSON.stringify(h)}`);
  }
  return c;
}

/** Checks that the config's architecture has networks for `geometry`. */
export function checkArchitecture(c: WganConfig, geometry: Geometry, source: string): void {
  if (c.architecture === 'conv' && !convLayout(geometry)) {
    const shape = geometry.kind === 'grid' ? `a ${geometry.shape.join('×')} grid` : `a ${geometry.kind} geometry`;
    throw new ConfigError(
      `${source}: "architecture" conv has the published layer lists for 30×30×30 (ild-ecal) and 48×25×25 (ild-hcal) grids only, and "${geometry.id}" is ${shape}; use "architecture": "dense".`,
    );
  }
}

/** A config used only for key validation when no geometry is known (every geometry has the same keys). */
const KEYS_TEMPLATE = plainDefaults();

/**
 * A saved config (config.json `config`) with the keys added after it was written set to the
 * values that reproduce the networks it was trained with, not to today's defaults (which may
 * differ): `dense.criticFeatures`, `dense.criticLateralFeatures`, `dense.readoutThreshold` and
 * `conv.readoutThreshold`, `conv.critic` `dcgan`, `conv.criticFeatures`, `conv.criticLateralFeatures` and `conv.criticHitFeatures` false, `conv.criticSpectrumCuts` 0, `conv.representation` `mev`,
 * `readoutGradient` `kept`, `conditionScale` 1.
 */
export function withLegacyKeys(raw: unknown): unknown {
  return withLegacyValues(raw, { criticSliceRows: 0, conditionScale: 1, readoutGradient: 'kept', dense: { criticFeatures: false, criticLateralFeatures: false, readoutThreshold: false }, conv: { critic: 'dcgan', readoutThreshold: false, representation: 'mev', criticFeatures: false, criticLateralFeatures: false, criticHitFeatures: false, criticSpectrumCuts: 0 } });
}

/** Parses a raw config over `defaults` (or the dense defaults), rejecting unknown keys and bad values. */
export function parseWganConfig(raw: unknown, source: string, defaults: WganConfig = KEYS_TEMPLATE): WganConfig {
  return checkWganConfig(mergeConfig(defaults, raw, source), source);
}

/**
 * The representation settings of a config in the form core's `representationFor` and
 * `fitRepresentation` read: the dense keys for `dense`; for `conv`, `mev` or the representation
 * `conv.representation` names (with `conv.root` and `conv.readoutThreshold`).
 */
export function representationSettings(c: WganConfig): RepresentationConfig {
  if (c.architecture === 'dense') return c;
  if (c.conv.representation === 'mev') return { architecture: 'conv', dense: c.dense };
  return { architecture: 'dense', dense: { representation: c.conv.representation, root: c.conv.root, readoutThreshold: c.conv.readoutThreshold } };
}
