/**
 * CaloMan's configuration: the typed interface, the default per geometry (one small object
 * each, style guide "Configuration") and the published variant used as the ablation baseline.
 */
import type { Geometry } from '@calozoo/core';
import type { EplTransform, VoxelTransform } from './preprocess.js';
import type { VaeLikelihood } from './vae.js';

/** A rational-quadratic coupling flow (field-reference.md §4.7: 4 couplings, 3×64 residual, 8 bins). */
export interface FlowNetConfig {
  /** Number of coupling layers. */
  couplings: number;
  /** Width of each coupling's residual conditioner. */
  hidden: number;
  /** Residual blocks per conditioner. */
  blocks: number;
  /** Spline bins K. */
  bins: number;
  /** Spline domain [−B, B] (identity outside); inputs are standardised. */
  tailBound: number;
  /** Add an LU-decomposed linear map after every coupling (as CaloMan does). */
  luLinear: boolean;
  /**
   * Feature permutation after each coupling: `random` (any, as CaloMan/nflows do; a feature misses
   * every spline with probability 2^−couplings: 3 of DS2's 45 layer energies with the default seed)
   * or `parity` (random within even and within odd positions, so every feature is transformed by a
   * spline in every other coupling).
   */
  permutations: 'random' | 'parity';
}

/** Optimisation settings of one training phase. */
export interface PhaseTrainingConfig {
  /** Adam learning rate. */
  learningRate: number;
  /** Showers per step. */
  batchSize: number;
  /** Maximum epochs (FitOptions.epochs overrides). */
  maxEpochs: number;
  /** Early stopping after this many epochs without validation improvement. */
  patience: number;
  /** Learning-rate schedule: per-step cosine annealing to 0 over maxEpochs, or constant. */
  schedule: 'cosine' | 'constant';
  /** Global gradient-norm clip (0 = none). */
  gradClipNorm: number;
}

/** The full CaloMan configuration (written to config.json). */
export interface CaloManConfig {
  /** VAE latent size (choose with `intrinsicDimension`). */
  latentDim: number;
  /** Layer-energy representation for the EPL flow. */
  eplTransform: EplTransform;
  /**
   * Floor of the `relative` transform u = log10(E_layer / E_inc + eplFloor). Empty layers are
   * dequantised to (0.05, 1) × thresholdMeV; eplFloor × E_inc must stay below that at the highest
   * incident energy, or they collapse into a near-point mass.
   */
  eplFloor: number;
  /** Scaling of flow inputs: per-column mean/std, or max |x| as published (inputs in [−1, 1]). */
  inputScaling: 'std' | 'maxabs';
  /** Transform of the within-layer voxel fractions seen by the VAE. */
  voxelTransform: VoxelTransform;
  /** Voxel threshold in MeV applied to training showers and generated showers (0 = none). */
  thresholdMeV: number;
  /** Discrete incident energies of the dataset in MeV ([] for continuous spectra); calibration bins follow them. */
  discreteEnergiesMeV: number[];
  /** Layer-energy flow p(E_layers | E_inc). */
  epl: { flow: FlowNetConfig; training: PhaseTrainingConfig };
  /** Conditional VAE on the voxel fractions. */
  vae: {
    /** Hidden widths of encoder and decoder. */
    hidden: number[];
    /** Weight of the KL term (1 = ELBO). */
    beta: number;
    /** KL nats per latent dimension left uncharged ("free bits", against posterior collapse; 0 = off). */
    freeBits: number;
    /** Output noise model: one shared σ (published) or a σ per voxel predicted by the decoder. */
    likelihood: VaeLikelihood;
    training: PhaseTrainingConfig;
  };
  /** Flow on the VAE latent space p(z | y). */
  latentFlow: {
    flow: FlowNetConfig;
    /** Fit on encoder means (published) or on samples z ~ q(z|x, y). */
    fitOn: 'means' | 'samples';
    training: PhaseTrainingConfig;
  };
  /** Post-hoc energy-response calibration (quantile mapping of E_dep/E_inc per energy bin). */
  calibration: {
    enabled: boolean;
    /** Quantiles per energy bin. */
    quantiles: number;
    /** Energy bins for continuous spectra (ignored when discreteEnergiesMeV is set). */
    bins: number;
  };
  /** Generation settings. */
  generation: {
    /** Clip each voxel fraction to its training range (published behaviour). */
    clipToTrainingRange: boolean;
    /** After the threshold, rescale the surviving voxels so every layer keeps its sampled energy. */
    keepLayerEnergy: boolean;
    /**
     * Generated voxels (in the VAE's transformed space) are the decoder mean plus this multiple of
     * the decoder's σ times standard-normal noise: 0 = the mean (published), 1 = a sample of the
     * likelihood. Restores shower-to-shower fluctuations the mean averages away.
     */
    decoderNoise: number;
    /** Default showers per network call. */
    batchSize: number;
  };
  /** Fractions of FitOptions.timeLimitSeconds given to each phase (unused time carries over). */
  timeShares: { epl: number; vae: number; latentFlow: number };
}

/** Dataset 1's incident energies 2^8 … 2^22 MeV (field-reference.md §1.3). */
export const DS1_ENERGIES_MEV: number[] = Array.from({ length: 15 }, (_, k) => 2 ** (k + 8));

const flow = (hidden = 64, permutations: FlowNetConfig['permutations'] = 'random'): FlowNetConfig => ({ couplings: 4, hidden, blocks: 3, bins: 8, tailBound: 4, luLinear: true, permutations });
const phase = (lr: number, batchSize: number, maxEpochs: number, schedule: 'cosine' | 'constant'): PhaseTrainingConfig => ({
  learningRate: lr,
  batchSize,
  maxEpochs,
  patience: 20,
  schedule,
  gradClipNorm: 10,
});

function base(latentDim: number, hidden: number[], thresholdMeV: number, discrete: number[], eplFloor = 1e-7, permutations: FlowNetConfig['permutations'] = 'random'): CaloManConfig {
  return {
    latentDim,
    eplTransform: 'relative',
    eplFloor,
    inputScaling: 'std',
    voxelTransform: 'sqrt',
    thresholdMeV,
    discreteEnergiesMeV: discrete,
    // Flows are cheap per shower but pay TensorFlow.js's per-op overhead per step: large batches.
    epl: { flow: flow(64, permutations), training: phase(2e-3, 2048, 300, 'cosine') },
    // A σ per voxel and sampling it at generation restore the shower-to-shower fluctuations the
    // decoder mean averages away (README "Ablation": FPD 131 → 33 ×10⁻³ in a 12-minute run); a hit
    // probability per voxel (zero-inflated) keeps the sparse outer voxels' energy and with it the
    // lateral widths (README "Showers nobody tuned to": on `deep`, AUC 0.931 → 0.826, FPD 13.9 → 8.8);
    // that decoder then ignores z (1 of 24 latent dimensions used): 0.5 free nats per dimension keep
    // the latent in use and with it the shower-to-shower shifts (deep: AUC 0.788, FPD 2.3); drawn
    // hits kept at the readout threshold at generation then gave AUC 0.66–0.71, FPD 1.2–5.9 on all
    // five variations tried (README "Showers nobody tuned to").
    vae: { hidden, beta: 1, freeBits: 0.5, likelihood: 'zero-inflated', training: phase(1e-3, 512, 300, 'cosine') },
    latentFlow: { flow: flow(128, permutations), fitOn: 'samples', training: phase(2e-3, 2048, 200, 'cosine') },
    calibration: { enabled: true, quantiles: 50, bins: 12 },
    generation: { clipToTrainingRange: true, keepLayerEnergy: true, decoderNoise: 1, batchSize: 10_000 },
    timeShares: { epl: 0.15, vae: 0.6, latentFlow: 0.25 },
  };
}

/** `c` with the VAE phase's batch size set to `batchSize`. */
function withVaeBatch(c: CaloManConfig, batchSize: number): CaloManConfig {
  return { ...c, vae: { ...c.vae, training: { ...c.vae.training, batchSize } } };
}

/** Default configs by geometry id; other geometries get `GENERIC`. */
const DEFAULTS: Record<string, () => CaloManConfig> = {
  // Latent sizes from the MLE intrinsic dimension of simulated showers (README, "Numbers").
  // The shipped DS1-photon model's recipe (models/ds1-photons/README.md): VAE batch 256, the
  // one setting its training run changed from the generic defaults; the measured DS1-pion run
  // (README "Pions") used the same.
  'calochallenge-1-photons': () => withVaeBatch(base(24, [512, 512, 512], 1, DS1_ENERGIES_MEV), 256),
  'calochallenge-1-pions': () => withVaeBatch(base(24, [512, 512, 512], 1, DS1_ENERGIES_MEV), 256),
  // DS2/DS3: a 15.15 keV threshold and E_inc up to 1 TeV. With the floor 1e-7 an empty layer at
  // 1 TeV maps into 0.06 decades of u (a near-point mass; its effect alone was not measured
  // separately); 5e-9 (5 keV at 1 TeV) leaves it 0.54 decades. Dataset 1 (1 MeV, 4.2 TeV): 0.48.
  // Parity permutations: with random ones the EPL flow never splined layers 32, 34 and 42 (seed 1),
  // which then held too few empty layers (0.26 against 0.48 for layer 32). Dataset 1 keeps the
  // random permutations its shipped model and measurements used (README "Showers nobody tuned to").
  'calochallenge-2': () => base(48, [512, 512, 512], 0.01515, [], 5e-9, 'parity'),
  'calochallenge-3': () => base(64, [512, 512, 512], 0.01515, [], 5e-9, 'parity'),
};
const GENERIC = (): CaloManConfig => base(32, [512, 512, 512], 0, []);

/** The default CaloMan config for a geometry. */
export function defaultConfigFor(geometry: Geometry): CaloManConfig {
  return (DEFAULTS[geometry.id] ?? GENERIC)();
}

/**
 * The submitted CaloMan (field-reference.md §4.7) as a config of this package: published EPL
 * transform, linear fractions, β = 1, latent flow on encoder means, no threshold, no calibration,
 * max-abs input scaling with tail bound 1, the same networks. Used as the ablation baseline.
 */
export function publishedConfigFor(geometry: Geometry, latentDim = geometry.id === 'calochallenge-1-pions' ? 10 : 35): CaloManConfig {
  const c = defaultConfigFor(geometry);
  return {
    ...c,
    latentDim,
    eplTransform: 'published',
    inputScaling: 'maxabs',
    voxelTransform: 'linear',
    thresholdMeV: 0,
    epl: { flow: { ...c.epl.flow, tailBound: 1 }, training: { ...c.epl.training, learningRate: 1e-3 } },
    vae: { ...c.vae, likelihood: 'shared' },
    latentFlow: { ...c.latentFlow, fitOn: 'means', flow: { ...flow(64, c.latentFlow.flow.permutations), tailBound: 1 }, training: { ...c.latentFlow.training, learningRate: 1e-3, schedule: 'constant' } },
    calibration: { ...c.calibration, enabled: false },
    generation: { ...c.generation, keepLayerEnergy: false, decoderNoise: 0 },
  };
}

/**
 * Settings that model directories written before they existed were trained with: a config.json
 * without these keys is read with these values, not with today's defaults.
 */
export const LEGACY_DEFAULTS = { eplFloor: 1e-7, flowPermutations: 'random', vae: { likelihood: 'shared', freeBits: 0 }, generation: { decoderNoise: 0 } } as const;
