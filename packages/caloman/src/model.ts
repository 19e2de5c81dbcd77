/**
 * The CaloMan generator (field-reference.md §4.7): EPL flow p(E_layers | E_inc), conditional
 * VAE on within-layer voxel fractions and a flow on its latent space p(z | y). Generation:
 * E_inc → layer energies (→ response calibration) → y → z → decoder mean → clip → rescale each
 * layer to its sampled energy → threshold → MeV.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  MODEL_FORMAT_VERSION,
  ModelFormatError,
  deferredValues,
  generateInBatches,
  layerSlices,
  tidyValues,
  readSafetensors,
  writeModelConfig,
  writeSafetensors,
  type Conditions,
  type FitOptions,
  type FitReport,
  type GenerateOptions,
  type GenerationSessions,
  type Generator,
  type Geometry,
  type LayerSlice,
  type Logger,
  type ModelCard,
  type ModelSessions,
  type NamedTensor,
  type OnnxExportMetadata,
  type OnnxExportable,
  type ShowerSource,
  type Showers,
  type Trainable,
  type TensorToWrite,
  tensorValues,
  Rng,
} from '@calozoo/core';
import { Flow } from '@calozoo/flows';
import { applyResponseCalibration, type ResponseCalibration } from './calibration.js';
import type { CaloManConfig } from './configs.js';
import { fitCaloMan } from './fit.js';
import { createNetworks, type CaloManNetworks } from './networks.js';
import { energyContext, eplToLayerEnergies, fractionsToShowers, layerEnergiesToEpl, standardise, voxelInverse } from './preprocess.js';
import { identityStandardiser, type Preprocessing } from './training-data.js';
import { calomanSessions, type CaloManGraph } from './onnx.js';
import { CALOMAN_VERSION } from './version.js';
import { drawsHits } from './vae.js';

/** Plugin name written into config.json. */
export const PLUGIN_NAME = 'caloman';
/** Most rows per onnxruntime call in `generate` (activations stay in cache): 4 096 measured ~12 % faster per shower than 10 000 at once (BENCHMARKS.md). */
const ORT_CHUNK = 4096;

/** Sub-folders of a saved model. */
export const COMPONENTS = { epl: 'epl/', vae: 'vae/', latentFlow: 'latent-flow/' } as const;

/** Everything a trained CaloMan holds besides network weights. */
export interface CaloManState extends Preprocessing {
  /** Response calibration, when fitted. */
  calibration: ResponseCalibration | null;
  /** Per-voxel range of the training fractions (generation clips to it). */
  fractionLo: Float32Array | null;
  fractionHi: Float32Array | null;
  /** Training summary for config.json. */
  training: Record<string, unknown> | null;
}

/** The noise sources of generation, each its own Rng stream. */
interface NoiseStreams {
  epl: Rng;
  latent: Rng;
  /** Decoder output noise (used when `generation.decoderNoise` > 0; ziggurat normals, 368 per DS1 shower). */
  voxel: Rng;
  /** Hit draws of the zero-inflated likelihood (uniforms, one per voxel), its own stream so showers do not depend on the batch size. */
  hit: Rng;
}

/** A CaloMan model: a `Generator` that can be trained and saved. */
export class CaloManModel implements Generator, Trainable, OnnxExportable {
  /** What the model is. */
  readonly card: ModelCard;
  /** @internal Its networks (replaced when `fit` re-initialises them from the fit seed). */
  nets: CaloManNetworks;
  /** Preprocessing constants, calibration and training summary. */
  state: CaloManState;
  /** Layer slices of the geometry. */
  readonly slices: LayerSlice[];
  /** Where warnings go (from `LoadOptions.logger`). */
  logger: Logger | undefined;
  /** onnxruntime sessions (opened on the first ONNX generation) and the export of the directory the weights were loaded from or saved to. */
  private readonly runtime: ModelSessions<CaloManGraph>;

  /** Creates an untrained model (weights from `seed`). */
  constructor(readonly config: CaloManConfig, readonly geometry: Geometry, seed = 0) {
    this.slices = layerSlices(geometry);
    this.card = {
      plugin: PLUGIN_NAME,
      pluginVersion: CALOMAN_VERSION,
      geometry: geometry.id,
      conditions: ['energy'],
      description: 'CaloMan: layer-energy flow, conditional VAE and latent flow (arXiv:2211.15380), calozoo variant',
    };
    this.nets = createNetworks(config, geometry, seed);
    this.runtime = calomanSessions(this);
    const L = this.slices.length;
    this.state = {
      epl: identityStandardiser(L),
      eplRange: { lo: new Array(L).fill(-1e3), hi: new Array(L).fill(1e3) },
      context: identityStandardiser(1),
      latent: identityStandardiser(config.latentDim),
      calibration: null,
      fractionLo: null,
      fractionHi: null,
      training: null,
    };
  }

  /** Samples layer energies (MeV, [n, L], calibrated when a calibration is fitted) for incident energies (MeV). */
  sampleLayerEnergies(energy: Float32Array, rng: Rng, calibrate = true): Float64Array {
    const n = energy.length;
    const c = standardise(energyContext(energy), this.state.context);
    const u = tidyValues(() => this.nets.epl.sample(n, rng, tf.tensor2d(c, [n, 1])));
    return this.layerEnergiesFromFlow(Float32Array.from(u), energy, calibrate);
  }

  /** Layer energies (MeV, [n, L]) from the EPL flow's standardised output `u` (overwritten). */
  layerEnergiesFromFlow(u: Float32Array, energy: Float32Array, calibrate = true): Float64Array {
    const n = energy.length;
    const L = this.slices.length;
    standardise(u, this.state.epl, true);
    const { lo, hi } = this.state.eplRange;
    for (let i = 0; i < u.length; i++) u[i] = Math.min(hi[i % L], Math.max(lo[i % L], u[i]));
    const layerE = eplToLayerEnergies(u, energy, n, L, this.config.eplTransform, this.config.eplFloor);
    if (calibrate && this.state.calibration) applyResponseCalibration(this.state.calibration, layerE, energy, L);
    return layerE;
  }

  /** The VAE condition y = [c, u_1 … u_L] (standardised) for incident and layer energies (MeV). */
  condition(energy: Float32Array, layerE: Float64Array): Float32Array {
    const n = energy.length;
    const L = this.slices.length;
    const c = standardise(energyContext(energy), this.state.context);
    const u = standardise(layerEnergiesToEpl(layerE, energy, n, L, this.config.eplTransform, this.config.eplFloor), this.state.epl);
    const y = new Float32Array(n * (1 + L));
    for (let i = 0; i < n; i++) {
      y[i * (1 + L)] = c[i];
      for (let l = 0; l < L; l++) y[i * (1 + L) + 1 + l] = u[i * L + l];
    }
    return y;
  }

  /** Decodes latent vectors (unstandardised) with condition y into showers (MeV) carrying `layerE`. */
  decodeShowers(z: tf.Tensor2D, y: Float32Array, energy: Float32Array, layerE: Float64Array): Float32Array {
    const n = energy.length;
    const L = this.slices.length;
    const mean = tidyValues(() => this.nets.vae.decode(z, tf.tensor2d(y, [n, 1 + L])));
    return this.meanToShowers(new Float32Array(mean), energy, layerE);
  }

  /** Turns decoder means [n, V] (overwritten) into showers (MeV) carrying `layerE`. */
  meanToShowers(mean: Float32Array, energy: Float32Array, layerE: Float64Array): Float32Array {
    const n = energy.length;
    const fractions = voxelInverse(mean, this.config.voxelTransform);
    const clip = this.config.generation.clipToTrainingRange && this.state.fractionLo && this.state.fractionHi;
    return fractionsToShowers(fractions, layerE, n, this.geometry.voxels, this.slices, {
      lo: clip ? this.state.fractionLo! : undefined,
      hi: clip ? this.state.fractionHi! : undefined,
      thresholdMeV: this.config.thresholdMeV,
      keepLayerEnergy: this.config.generation.keepLayerEnergy,
      hitFloor: drawsHits(this.config.vae.likelihood),
    });
  }

  /**
   * Generates one shower per incident energy (MeV); the same seed gives the same showers, on
   * either runtime up to float32 rounding. The default runtime is ONNX Runtime (measured faster
   * at every batch size, BENCHMARKS.md); `runtime: 'tfjs'` uses the TF.js networks.
   */
  async generate(c: Conditions, options: GenerateOptions): Promise<Showers> {
    const runtime = options.runtime ?? 'onnx';
    const energy = c.energy;
    const n = energy.length;
    for (let i = 0; i < n; i++) {
      if (!(energy[i] > 0) || !Number.isFinite(energy[i])) throw new InvalidArgumentError(`caloman.generate: incident energy ${i} is ${energy[i]} MeV; energies must be finite and > 0.`);
    }
    const batch = Math.max(1, options.batchSize ?? this.config.generation.batchSize);
    // One stream per noise source, so a shower's noise does not depend on the batch size.
    const rng: NoiseStreams = { epl: new Rng(options.seed, 0), latent: new Rng(options.seed, 1), voxel: new Rng(options.seed, 2), hit: new Rng(options.seed, 3) };
    const ort = runtime === 'onnx' ? await this.onnxSessions(options.threads) : null;
    // onnxruntime runs at most ORT_CHUNK rows at a time; preparing chunk k + 1 while the generator
    // graph runs chunk k measured no faster on 2 cores, so the chunks run in turn.
    const size = ort ? Math.min(batch, ORT_CHUNK) : batch;
    return generateInBatches(c, this.geometry.voxels, size, (s, t) => (ort ? this.generateBatchOnnx(ort, energy.subarray(s, t), rng) : this.generateBatchTfjs(energy.slice(s, t), rng)), options, 'caloman.generate');
  }

  /** One batch on TF.js: EPL flow, latent flow and decoder. */
  private generateBatchTfjs(e: Float32Array, rng: NoiseStreams): Float32Array {
    const m = e.length;
    const layerE = this.sampleLayerEnergies(e, rng.epl);
    const y = this.condition(e, layerE);
    const zData = tidyValues(() => this.nets.latentFlow.sample(m, rng.latent, tf.tensor2d(y, [m, y.length / m])));
    standardise(zData, this.state.latent, true);
    const k = this.config.generation.decoderNoise;
    // mean + k·σ·ε in one tidy; σ is only computed when the decoder is sampled.
    const z = tf.tensor2d(zData, [m, this.config.latentDim]);
    const yt = tf.tensor2d(y, [m, y.length / m]);
    const noise = this.voxelNoise(m, rng);
    const V = this.geometry.voxels;
    const mean = tidyValues(() => {
      if (!noise.voxel && !noise.hit) return this.nets.vae.decode(z, yt);
      const t = (a: Float32Array | null) => (a ? tf.tensor2d(a, [m, V]) : undefined);
      return this.nets.vae.sample(z, yt, k, t(noise.voxel) ?? null, t(noise.hit), noise.hit ? this.slices : undefined);
    });
    tf.dispose([z, yt]);
    return this.meanToShowers(Float32Array.from(mean), e, layerE);
  }

  /** One batch on onnxruntime, drawing the same noise in the same order as `generateBatchTfjs`. */
  private async generateBatchOnnx(ort: GenerationSessions<CaloManGraph>, e: Float32Array, rng: NoiseStreams): Promise<Float32Array> {
    const feeds = await this.onnxFeeds(ort, e, this.onnxNoise(e.length, rng));
    return (await ort.sessions.generator.run(feeds)).showers!.data as Float32Array;
  }

  /** The noise of m showers from the four streams, as `generateBatchTfjs` draws it. */
  private onnxNoise(m: number, rng: NoiseStreams): { epl: Float32Array; latent: Float32Array; voxel: Float32Array | null; hit: Float32Array | null } {
    return { epl: this.nets.epl.drawNoise(m, rng.epl), latent: this.nets.latentFlow.drawNoise(m, rng.latent), ...this.voxelNoise(m, rng) };
  }

  /** The decoder's noise for m showers: normals when `decoderNoise` > 0, then uniform hit draws for `zero-inflated`. */
  private voxelNoise(m: number, rng: NoiseStreams): { voxel: Float32Array | null; hit: Float32Array | null } {
    const n = m * this.geometry.voxels;
    const voxel = this.config.generation.decoderNoise > 0 ? (rng.voxel.fillNormalZiggurat(new Float32Array(n)) as Float32Array) : null;
    const hit = drawsHits(this.config.vae.likelihood) ? (rng.hit.fillUniform(new Float32Array(n)) as Float32Array) : null;
    return { voxel, hit };
  }

  /** The generator graph's inputs for the showers of incident energies `e` (runs the layer-energy graph). */
  private async onnxFeeds(ort: GenerationSessions<CaloManGraph>, e: Float32Array, noise: { epl: Float32Array; latent: Float32Array; voxel: Float32Array | null; hit: Float32Array | null }): Promise<Record<string, { data: Float32Array; dims: number[] }>> {
    const m = e.length;
    const L = this.slices.length;
    const D = this.config.latentDim;
    const c = standardise(energyContext(e), this.state.context);
    const u = await ort.sessions.layerEnergies.run({ noise: { data: noise.epl, dims: [m, L] }, context: { data: c, dims: [m, 1] } });
    const layerE = this.layerEnergiesFromFlow(u.x!.data as Float32Array, e);
    const feeds: Record<string, { data: Float32Array; dims: number[] }> = {
      condition: { data: this.condition(e, layerE), dims: [m, 1 + L] },
      noise: { data: noise.latent, dims: [m, D] },
      layerEnergies: { data: Float32Array.from(layerE), dims: [m, L] },
    };
    if (noise.voxel) feeds.voxelNoise = { data: noise.voxel, dims: [m, this.geometry.voxels] };
    if (noise.hit) feeds.hitNoise = { data: noise.hit, dims: [m, this.geometry.voxels] };
    return feeds;
  }

  /** The onnxruntime sessions (opened once; reopened when the thread count or a generation setting changes). */
  onnxSessions(threads?: number): Promise<GenerationSessions<CaloManGraph>> {
    return this.runtime.open(threads);
  }

  /** Writes `onnx/layer-energies.onnx`, `onnx/generator.onnx` and `onnx/metadata.json` into the saved model directory `dir`. */
  exportOnnx(dir: string): Promise<OnnxExportMetadata> {
    return this.runtime.export(dir);
  }

  /** Trains the three networks in turn (see `fitCaloMan`). */
  async fit(data: ShowerSource, options: FitOptions): Promise<FitReport> {
    // The weights no longer are those of any directory (until `save`).
    this.runtime.setDir(null);
    try {
      return await fitCaloMan(this, data, options);
    } finally {
      this.runtime.setDir(null);
    }
  }

  /** The preprocessing constants as JSON (config.json `preprocessing`). */
  preprocessingJson(): Record<string, unknown> {
    return { epl: this.state.epl, eplRange: this.state.eplRange, context: this.state.context, latent: this.state.latent, calibration: this.state.calibration, eplTransform: this.config.eplTransform, eplFloor: this.config.eplFloor, voxelTransform: this.config.voxelTransform, thresholdMeV: this.config.thresholdMeV };
  }

  /** The VAE component's buffers (the per-voxel clip range), when set. */
  vaeBuffers(): Record<string, NamedTensor> {
    const lo = this.state.fractionLo;
    const hi = this.state.fractionHi;
    if (!lo || !hi) return {};
    return { 'buffer.fractionLo': { dtype: 'F32', shape: [this.geometry.voxels], data: lo }, 'buffer.fractionHi': { dtype: 'F32', shape: [this.geometry.voxels], data: hi } };
  }

  /** Restores VAE weights and the clip range from named tensors. */
  setVaeTensors(t: Record<string, TensorToWrite>, source: string): void {
    this.nets.vae.params.assignNamed(t, source);
    this.state.fractionLo = t['buffer.fractionLo'] ? Float32Array.from(tensorValues(t['buffer.fractionLo'])) : null;
    this.state.fractionHi = t['buffer.fractionHi'] ? Float32Array.from(tensorValues(t['buffer.fractionHi'])) : null;
  }

  /** Writes config.json and epl/, vae/, latent-flow/ (safetensors weights) into `dir`. */
  async save(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await this.nets.epl.save(path.join(dir, COMPONENTS.epl));
    await this.nets.latentFlow.save(path.join(dir, COMPONENTS.latentFlow));
    await writeSafetensors(path.join(dir, COMPONENTS.vae, 'weights.safetensors'), { ...deferredValues(this.nets.vae.params.named()), ...this.vaeBuffers() }, { format: 'calozoo-caloman-vae' });
    await writeModelConfig(dir, {
      plugin: PLUGIN_NAME,
      pluginVersion: CALOMAN_VERSION,
      formatVersion: MODEL_FORMAT_VERSION,
      geometry: this.geometry.id,
      conditions: ['energy'],
      preprocessing: this.preprocessingJson(),
      components: { epl: COMPONENTS.epl, vae: COMPONENTS.vae, 'latent-flow': COMPONENTS.latentFlow },
      config: this.config,
      training: this.state.training ?? undefined,
    });
    this.runtime.setDir(dir);
  }

  /** Loads weights and preprocessing from a directory written by `save` into this model. */
  async loadFrom(dir: string, preprocessing: Record<string, unknown>, training: Record<string, unknown> | undefined): Promise<void> {
    const file = path.join(dir, 'config.json');
    const p = preprocessing as Partial<Preprocessing> & { calibration?: ResponseCalibration | null };
    const L = this.slices.length;
    const check = (name: string, s: unknown, d: number): void => {
      const st = s as { shift?: unknown; scale?: unknown } | undefined;
      if (!st || !Array.isArray(st.shift) || !Array.isArray(st.scale) || st.shift.length !== d || st.scale.length !== d) {
        throw new ModelFormatError(`${file}: preprocessing.${name} must be {shift, scale} with ${d} numbers each; the file is damaged or from another model.`);
      }
    };
    check('epl', p.epl, L);
    check('context', p.context, 1);
    check('latent', p.latent, this.config.latentDim);
    const epl = await Flow.load(path.join(dir, COMPONENTS.epl));
    const latentFlow = await Flow.load(path.join(dir, COMPONENTS.latentFlow));
    if (epl.dim !== L || latentFlow.dim !== this.config.latentDim) {
      epl.dispose();
      latentFlow.dispose();
      throw new ModelFormatError(`${dir}: the saved flows have ${epl.dim} and ${latentFlow.dim} features, but config.json implies ${L} layers and latentDim ${this.config.latentDim}.`);
    }
    this.nets.epl.dispose();
    this.nets.latentFlow.dispose();
    this.nets.epl = epl;
    this.nets.latentFlow = latentFlow;
    const vaeFile = path.join(dir, COMPONENTS.vae, 'weights.safetensors');
    this.setVaeTensors((await readSafetensors(vaeFile)).tensors, vaeFile);
    this.state.epl = p.epl!;
    const range = p.eplRange;
    if (!range || !Array.isArray(range.lo) || !Array.isArray(range.hi) || range.lo.length !== L || range.hi.length !== L) {
      throw new ModelFormatError(`${file}: preprocessing.eplRange must be {lo, hi} with ${L} numbers each; the file is damaged or from another model.`);
    }
    this.state.eplRange = range;
    this.state.context = p.context!;
    this.state.latent = p.latent!;
    this.state.calibration = p.calibration ?? null;
    this.state.training = training ?? null;
    this.runtime.setDir(dir);
  }

  /** Number of parameters used at generation (EPL flow, decoder, latent flow). */
  parameterCount(): { total: number; generation: number } {
    const count = (vars: Record<string, tf.Variable>): number => Object.values(vars).reduce((a, v) => a + (v.trainable ? v.size : 0), 0);
    const vae = this.nets.vae.params.named();
    const decoder = count(Object.fromEntries(Object.entries(vae).filter(([k]) => k.startsWith('decoder'))));
    const flows = count(this.nets.epl.variables()) + count(this.nets.latentFlow.variables());
    return { total: flows + count(vae), generation: flows + decoder };
  }

  /** Frees every weight and the onnxruntime sessions. */
  dispose(): void {
    this.runtime.release();
    this.nets.epl.dispose();
    this.nets.vae.dispose();
    this.nets.latentFlow.dispose();
  }
}
