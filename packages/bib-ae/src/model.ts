/**
 * `BibAeModel`: a BIB-AE for one geometry, made of core's kit: networks from `build.ts`,
 * training through core's `train` (stages `bibae`, `post-identity`, `post`, then the latent
 * sampler: a flow phase or a KDE fit; `training.ts`), generation on ONNX Runtime through
 * `ModelSessions` (or TF.js with `runtime: 'tfjs'`), and the model directory (`encoder/`,
 * `decoder/`, `critic/`, `latent-critic/`, `post-processor/`, `sampler/`, each
 * `weights.safetensors`, plus config.json).
 *
 * Generation: the sampler draws the active latent dimensions (N(0, 1); a KDE of encoded training
 * latents; or the flow, which also draws E_dep/E_inc), N(0, 1) noise fills the other latent
 * dimensions, the decoder and the post-processor make the shower, and with the flow sampler each
 * shower is rescaled to its drawn E_dep/E_inc (§4.3).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  MODEL_FORMAT_VERSION, ModelFormatError, ModelSessions, OnnxGraphBuilder, Rng, fitRepresentation, float32Values, generateInBatches, hasScale, networkBatch, namedValues, prefixed, prepareData,
  readModelConfig, readSafetensors, representationFor, restoreVariables, tf, tidyValues, train, withReadout, writeModelConfig, writeSafetensors,
  type Conditions, type FitOptions, type FitReport, type GenerateOptions, type Generator, type Geometry, type Logger, type ModelCard, type OnnxExportMetadata,
  type OnnxValue, type Representation, type Sampler, type ShowerSource, type Showers, type TensorToWrite, type Trainable, type TrainingStage,
} from '@calozoo/core';
import type { Flow } from '@calozoo/flows';
import { buildNetworks, buildSamplerFlow, disposeNetworks } from './build.js';
import type { BibAeConfig, LatentSamplerKind } from './config.js';
import type { BibAeNetworks } from './networks.js';
import { KdeSampler, NormalSampler } from './samplers.js';
import { bibaePhase, decodeValues, encodeRows, flowPhase, postPhase, samplerData } from './training.js';
import { BIBAE_VERSION } from './version.js';

/** Component folders of a saved model. */
export const COMPONENTS = {
  encoder: 'encoder/', decoder: 'decoder/', critic: 'critic/', 'latent-critic': 'latent-critic/', 'post-processor': 'post-processor/', sampler: 'sampler/',
} as const;

/** Showers per network call when `generate` is not told: small for the 3-D networks, large for MLPs. */
const DEFAULT_BATCH = { conv: 8, dense: 2048 } as const;

/** The most showers per conv network call, whatever `batchSize` asks: half the conv WGAN's 256 (the 3-D decoder and post-processor's memory per shower was not measured). */
const MAX_CONV_BATCH = 128;

/**
 * Cell × channel values of one dense post-processor activation per network call (2²⁷ floats,
 * 512 MiB): its ONNX graph runs every cell through `channels` channels, so the showers per call
 * are capped at 2²⁷ / (cells · channels) (dataset 1: 5 698; the ILD 30³ grid: 77).
 */
const DENSE_CELL_CHANNELS_PER_CALL = 2 ** 27;

/** The most showers per network call of generation for `config` on `voxels` cells. */
export function maxNetworkBatch(config: BibAeConfig, voxels: number): number {
  if (config.architecture === 'conv') return MAX_CONV_BATCH;
  return config.postProcessor.enabled ? Math.max(1, Math.floor(DENSE_CELL_CHANNELS_PER_CALL / (voxels * config.postProcessor.channels))) : Infinity;
}

/** Random streams of generation: the sampler's draws and the noise dimensions. */
const STREAM = { sampler: 1, noise: 2 } as const;

/** The sampler's fitted constants (config.json `preprocessing.sampler`). */
interface SamplerState {
  kind: BibAeConfig['sampler']['kind'];
  /** Flow: the standardisation of E_dep/E_inc. */
  responseMean?: number;
  responseStd?: number;
  /** Flow: the standardisation of each active latent dimension (absent in models saved before it: 0 and 1). */
  latentMean?: number[];
  latentStd?: number[];
}

/** A generation variant other than the config's (the ablations): the latent sampler and whether the post-processor runs. */
export interface BibAeVariant {
  sampler: LatentSamplerKind;
  postProcessor: boolean;
}

/** A trained or untrained BIB-AE for one geometry. */
export class BibAeModel implements Generator, Trainable {
  /** Plugin, version, geometry and conditions. */
  readonly card: ModelCard;
  /** The networks (exposed for tests and inspection); rebuilt from the fit seed by a fresh `fit`. */
  nets: BibAeNetworks;
  /** The flow sampler (its weights are meaningful once trained). */
  flow: Flow;
  /** The KDE sampler, once fitted. */
  kde: KdeSampler | null = null;
  private samplerState: SamplerState;
  private repr: Representation;
  private scaleFitted = false;
  private weightsTrained = false;
  private readonly runtime: ModelSessions<'generator'>;

  /** Creates the networks for `geometry`; warnings go to `logger`. */
  constructor(readonly config: BibAeConfig, readonly geometry: Geometry, private readonly logger?: Logger) {
    this.nets = buildNetworks(config, geometry, 1, 'bib-ae config');
    this.flow = buildSamplerFlow(config, 1);
    this.repr = representationFor(config);
    this.samplerState = { kind: config.sampler.kind };
    this.card = { plugin: 'bib-ae', pluginVersion: BIBAE_VERSION, geometry: geometry.id, conditions: ['energy'] };
    this.runtime = new ModelSessions({
      card: this.card,
      opset: 17,
      glue: 'the latent (N(0,1) or KDE draws of the active dimensions, or N(0,1) flow noise) and the N(0,1) noise of the other dimensions drawn in JavaScript from the seed, in shower order; the network condition computed in JavaScript from the energy (see preprocessing in config.json)',
      warn: (m) => this.logger?.warn(m),
      settingsKey: () => JSON.stringify([this.repr.constants, this.samplerState]),
      graphs: () => ({
        generator: {
          file: 'onnx/generator.onnx', inputs: this.graphInputs(), outputs: { showers: ['n', this.geometry.voxels] },
          description: 'BIB-AE generator: latent draws, noise, network condition and incident energy (MeV) → showers (MeV)', build: (meta) => this.graph().toBytes(meta),
        },
      }),
    });
  }

  /** Width of a sampler's draw per shower: the active dimensions, plus E_dep/E_inc for the flow. */
  private latentWidth(kind: LatentSamplerKind = this.config.sampler.kind): number {
    return this.config.activeDim + (kind === 'flow' ? 1 : 0);
  }

  private noiseWidth(): number {
    return this.config.latentDim - this.config.activeDim;
  }

  private graphInputs(): Record<string, (number | string)[]> {
    return { latent: ['n', this.latentWidth()], ...(this.noiseWidth() > 0 ? { noise: ['n', this.noiseWidth()] } : {}), condition: ['n', 1], energy: ['n', 1] };
  }

  /** The sampler generation draws from (`kind`: the config's, or another one for `generateVariant`). */
  sampler(kind: LatentSamplerKind = this.config.sampler.kind): Sampler {
    if (kind === 'kde') {
      if (!this.kde) throw new ModelFormatError(`bib-ae: the KDE sampler has no latents yet; ${this.config.sampler.kind === 'kde' ? 'train or load the model first' : 'call fitKde with the training showers first'}.`);
      return this.kde;
    }
    if (kind === 'flow') {
      if (this.config.sampler.kind !== 'flow') throw new ModelFormatError(`bib-ae: this model was trained with the ${this.config.sampler.kind} sampler; it has no trained flow.`);
      const flow = this.flow;
      return { kind: 'flow', dim: this.latentWidth('flow'), sample: (n, rng) => flow.drawNoise(n, rng) };
    }
    return new NormalSampler(this.config.activeDim);
  }

  /**
   * Fits the KDE sampler on the encoder means of the first `sampler.kdeShowers` showers of `data`
   * (training's KDE stage takes the first of its training rows instead), for `generateVariant` on a
   * model trained with another sampler; returns it (also kept as `kde`).
   */
  async fitKde(data: ShowerSource): Promise<KdeSampler> {
    const n = Math.min(data.n, this.config.sampler.kdeShowers);
    const V = this.geometry.voxels;
    const A = this.config.activeDim;
    const points = new Float32Array(n * A);
    const chunk = DEFAULT_BATCH[this.config.architecture];
    // Read chunk by chunk: 20 000 ILD showers would be 2.2 GB at once.
    for (let a = 0; a < n; a += chunk) {
      const m = Math.min(n, a + chunk) - a;
      const s = await data.readRange(a, a + m);
      if (s.voxels !== V) throw new ModelFormatError(`bib-ae fitKde: the showers have ${s.voxels} cells, the model's geometry ${this.geometry.id} has ${V}.`);
      const x = new Float32Array(m * V);
      for (let i = 0; i < m; i++) this.repr.encode(s.values.subarray(i * V, (i + 1) * V), s.energy[i]!, x.subarray(i * V, (i + 1) * V));
      const c = this.repr.condition(s.energy.subarray(0, m));
      points.set(tidyValues<Float32Array>(() => this.nets.encoder.apply(tf.tensor2d(x, [m, V]), tf.tensor2d(c, [m, 1])).mu), a * A);
    }
    this.kde = new KdeSampler(points, A, this.config.sampler.bandwidth);
    return this.kde;
  }

  /** Every weight by its saved name, `<component>.<name>`. */
  private variables(): Record<string, tf.Variable> {
    const n = this.nets;
    return {
      ...prefixed('encoder', n.encoder.variables()), ...prefixed('decoder', n.decoder.variables()), ...prefixed('critic', this.criticVariables()),
      ...prefixed('latent-critic', n.latentCritic.variables()), ...prefixed('post-processor', n.postProcessor.variables()), ...prefixed('sampler', this.flow.variables()),
    };
  }

  /** The KDE's latents as a tensor to save (none before fitting). */
  private kdeTensor(): Record<string, TensorToWrite> {
    return this.kde ? { 'kde.latents': { dtype: 'F32', shape: [this.kde.points.length / this.config.activeDim, this.config.activeDim], data: this.kde.points } } : {};
  }

  private setKde(t: TensorToWrite | undefined): void {
    if (!t) return;
    this.kde = new KdeSampler(new Float32Array(float32Values(t)), this.config.activeDim, this.config.sampler.bandwidth);
  }

  /** Trains through core's engine (see the module comment); a fresh model first draws its weights from the fit seed. */
  async fit(data: ShowerSource, options: FitOptions): Promise<FitReport> {
    if (!this.weightsTrained) {
      disposeNetworks(this.nets);
      this.flow.dispose();
      this.nets = buildNetworks(this.config, this.geometry, options.seed);
      this.flow = buildSamplerFlow(this.config, options.seed);
    }
    const d = await prepareData(data, this.geometry, (s, rows) => {
      if (!this.scaleFitted) this.repr = fitRepresentation(this.config, s.values, s.energy, s.voxels, rows);
      this.scaleFitted = true;
      return this.repr;
    }, this.config, { ...options, name: 'bib-ae' });
    const c = this.config;
    const vars = this.variables();
    let release = (): void => {};
    const stages: TrainingStage[] = [{ name: 'bibae', share: c.shares.bibae, phase: () => {
      const p = bibaePhase(this.nets, c, d, this.geometry, options);
      release = p.release;
      return p;
    } }];
    if (c.postProcessor.enabled) {
      if (c.postProcessor.identityEpochs > 0) stages.push({ name: 'post-identity', share: c.shares.postProcessor * 0.1, phase: () => postPhase(this.nets, c, d, this.geometry, options, false) });
      stages.push({ name: 'post', share: c.shares.postProcessor, phase: () => postPhase(this.nets, c, d, this.geometry, options, true) });
    }
    if (c.sampler.kind === 'flow') {
      stages.push({ name: 'sampler', share: c.shares.sampler, phase: () => {
        const s = samplerData(this.nets, c, d, options.seed);
        this.samplerState = { kind: 'flow', responseMean: s.responseMean, responseStd: s.responseStd, latentMean: s.latentMean, latentStd: s.latentStd };
        return flowPhase(this.flow, c, s, options);
      } });
    } else if (c.sampler.kind === 'kde') {
      stages.push({ name: 'sampler', task: () => {
        const { z } = encodeRows(this.nets, c, d, options.seed, true);
        const A = c.activeDim;
        const rows = d.trainRows.subarray(0, Math.min(d.trainRows.length, c.sampler.kdeShowers));
        const pts = new Float32Array(rows.length * A);
        rows.forEach((r, i) => pts.set(z.subarray(r * A, (r + 1) * A), i * A));
        this.kde = new KdeSampler(pts, A, c.sampler.bandwidth);
      } });
    }
    let r: Awaited<ReturnType<typeof train>>;
    try {
      r = await train(
        {
          name: 'bib-ae',
          stages,
          weights: () => ({ ...namedValues(vars), ...this.kdeTensor() }),
          setWeights: (w) => {
            restoreVariables(vars, w);
            this.setKde(w['kde.latents']);
          },
          state: () => ({ repr: this.repr.constants, sampler: this.samplerState }),
          setState: (s) => {
            const st = s as { sampler?: SamplerState } | null;
            if (st?.sampler) this.samplerState = st.sampler;
          },
        },
        options,
      );
    } finally {
      release();
    }
    this.runtime.setDir(null);
    this.weightsTrained = true;
    return { history: r.history, seconds: r.seconds, stoppedBy: r.stoppedBy, trainSize: d.trainRows.length, validationSize: d.validationSize };
  }

  /** The generator as an ONNX graph (inputs `graphInputs()`, output showers [n, V] in MeV). */
  private graph(): OnnxGraphBuilder {
    const g = new OnnxGraphBuilder({ opset: 17 });
    const A = this.config.activeDim;
    const latent = g.input('latent', 'float32', [null, this.latentWidth()]);
    const noise = this.noiseWidth() > 0 ? g.input('noise', 'float32', [null, this.noiseWidth()]) : null;
    const c = g.input('condition', 'float32', [null, 1]);
    const e = g.input('energy', 'float32', [null, 1]);
    let active: OnnxValue = latent;
    let target: OnnxValue | null = null;
    if (this.config.sampler.kind === 'flow') {
      const { mean, std } = this.flowScale();
      const drawn = g.add(g.mul(this.flow.toOnnxSample(g, latent, c), g.constant(std, [1, A + 1])), g.constant(mean, [1, A + 1]));
      const [z, r] = g.split(drawn, 1, [A, 1]);
      active = z!;
      target = r!;
    }
    const zFull = noise ? g.concat([active, noise], 1) : active;
    let x = this.nets.decoder.toOnnx(g, zFull, c);
    if (this.config.postProcessor.enabled) {
      // keepZeros: the post-processor sees the decoder's shower after the readout threshold (as postInput).
      if (this.config.postProcessor.keepZeros && this.repr.threshold) x = g.mul(x, g.cast(g.greater(this.repr.decodeOnnx(g, x, e), 0), 'float32'));
      const sum = g.div(g.reduceSum(this.repr.decodeOnnx(g, x, e), [1], true), e);
      x = this.nets.postProcessor.toOnnx(g, x, sum, c);
    }
    let showers = this.repr.decodeOnnx(g, x, e);
    if (target) showers = g.mul(showers, g.div(g.mul(target, e), g.add(g.reduceSum(showers, [1], true), 1e-9)));
    g.output(showers, 'showers');
    return g;
  }

  /**
   * The flow's standardisation of its [latent, E_dep/E_inc] columns, to undo on its draws (models
   * saved before the latents were standardised: mean 0 and sd 1 for them).
   */
  private flowScale(): { mean: Float32Array; std: Float32Array } {
    const s = this.samplerState;
    const A = this.config.activeDim;
    return {
      mean: Float32Array.from([...(s.latentMean ?? new Array<number>(A).fill(0)), s.responseMean ?? 0]),
      std: Float32Array.from([...(s.latentStd ?? new Array<number>(A).fill(1)), s.responseStd ?? 1]),
    };
  }

  /** One shower per energy; every draw is made in shower order, so the batch size does not matter. */
  generate(conditions: Conditions, options: GenerateOptions): Promise<Showers> {
    return this.generateWith(conditions, options, { sampler: this.config.sampler.kind, postProcessor: this.config.postProcessor.enabled });
  }

  /**
   * Showers from another latent sampler and/or without the post-processor (the ablations), on
   * TF.js; with the config's own variant the same showers as `generate` on TF.js for the same seed.
   */
  generateVariant(conditions: Conditions, options: GenerateOptions, variant: BibAeVariant): Promise<Showers> {
    return this.generateWith(conditions, { ...options, runtime: 'tfjs' }, variant);
  }

  private async generateWith(conditions: Conditions, options: GenerateOptions, variant: BibAeVariant): Promise<Showers> {
    const n = conditions.energy.length;
    const V = this.geometry.voxels;
    const W = this.latentWidth(variant.sampler);
    const N = this.noiseWidth();
    const latent = this.sampler(variant.sampler).sample(n, new Rng(options.seed, STREAM.sampler));
    const noise = new Rng(options.seed, STREAM.noise).fillNormal(new Float32Array(n * N)) as Float32Array;
    const ort = options.runtime === 'tfjs' ? null : (await this.runtime.open(options.threads)).sessions.generator;
    return generateInBatches(conditions, V, networkBatch(options.batchSize, DEFAULT_BATCH[this.config.architecture], maxNetworkBatch(this.config, V)), async (s, t) => {
      const m = t - s;
      const e = conditions.energy.slice(s, t);
      const c = this.repr.condition(e);
      const lb = latent.subarray(s * W, t * W);
      const nb = noise.subarray(s * N, t * N);
      if (ort) {
        const feeds = { latent: { data: lb, dims: [m, W] }, ...(N > 0 ? { noise: { data: nb, dims: [m, N] } } : {}), condition: { data: c, dims: [m, 1] }, energy: { data: e, dims: [m, 1] } };
        return (await ort.run(feeds))['showers']!.data as Float32Array;
      }
      return tidyValues<Float32Array>(() => {
        const ct = tf.tensor2d(c, [m, 1]);
        const et = tf.tensor2d(e, [m, 1]);
        let active = tf.tensor2d(lb, [m, W]);
        let target: tf.Tensor2D | null = null;
        if (variant.sampler === 'flow') {
          const { mean, std } = this.flowScale();
          const drawn = tf.add(tf.mul(this.flow.sampleFromNoise(active, ct), tf.tensor2d(std, [1, W])), tf.tensor2d(mean, [1, W])) as tf.Tensor2D;
          active = tf.slice(drawn, [0, 0], [m, this.config.activeDim]);
          target = tf.slice(drawn, [0, this.config.activeDim], [m, 1]);
        }
        const z = N > 0 ? tf.concat([active, tf.tensor2d(nb, [m, N])], 1) : active;
        let showers = this.repr.decode(decodeValues(this.nets, { repr: this.repr }, z, ct, et, variant.postProcessor, this.config.postProcessor.keepZeros), et);
        if (target) showers = tf.mul(showers, tf.div(tf.mul(target, et), tf.add(tf.sum(showers, 1, true), 1e-9))) as tf.Tensor2D;
        return showers;
      });
    }, options, 'bib-ae');
  }

  /** Writes `onnx/generator.onnx` and its metadata into the saved model directory `dir`. */
  exportOnnx(dir: string): Promise<OnnxExportMetadata> {
    return this.runtime.export(dir);
  }

  /** The critic's weights, and the resetting critic's as `reset.<name>` (both in `critic/`). */
  private criticVariables(): Record<string, tf.Variable> {
    const n = this.nets;
    return { ...n.critic.variables(), ...(n.resetCritic ? prefixed('reset', n.resetCritic.variables()) : {}) };
  }

  private parts(): Record<keyof typeof COMPONENTS, Record<string, tf.Variable>> {
    const n = this.nets;
    return {
      encoder: n.encoder.variables(), decoder: n.decoder.variables(), critic: this.criticVariables(), 'latent-critic': n.latentCritic.variables(),
      'post-processor': n.postProcessor.variables(), sampler: this.config.sampler.kind === 'flow' ? this.flow.variables() : {},
    };
  }

  /** Writes config.json and `<component>/weights.safetensors` for every network and the sampler. */
  async save(dir: string): Promise<void> {
    for (const [name, vars] of Object.entries(this.parts())) {
      await fs.mkdir(path.join(dir, name), { recursive: true });
      const extra = name === 'sampler' ? this.kdeTensor() : {};
      await writeSafetensors(path.join(dir, name, 'weights.safetensors'), { ...namedValues(vars), ...extra });
    }
    await writeModelConfig(dir, {
      plugin: 'bib-ae', pluginVersion: BIBAE_VERSION, formatVersion: MODEL_FORMAT_VERSION, geometry: this.geometry.id, conditions: ['energy'],
      preprocessing: { ...this.repr.constants, sampler: { ...this.samplerState } }, components: { ...COMPONENTS }, config: this.config,
    });
    this.runtime.setDir(dir);
  }

  /** Restores the weights of a saved directory and its preprocessing constants. */
  async loadFrom(dir: string): Promise<void> {
    const { preprocessing } = await readModelConfig(dir);
    if (hasScale(this.repr.name)) {
      const scale = preprocessing['scale'];
      if (typeof scale !== 'number' || !(scale > 0)) throw new ModelFormatError(`${dir}/config.json: preprocessing.scale must be a positive number for the ${this.repr.name} representation, found ${JSON.stringify(scale)}.`);
      this.repr = representationFor(this.config, scale);
    }
    if (this.repr.name !== 'mev' && this.config.dense.readoutThreshold) {
      const threshold = preprocessing['threshold'];
      if (typeof threshold !== 'number' || !(threshold >= 0)) throw new ModelFormatError(`${dir}/config.json: preprocessing.threshold must be a number ≥ 0 when dense.readoutThreshold is on, found ${JSON.stringify(threshold)}.`);
      this.repr = withReadout(this.repr, threshold);
    }
    this.scaleFitted = true;
    const s = preprocessing['sampler'] as SamplerState | undefined;
    if (!s || s.kind !== this.config.sampler.kind) throw new ModelFormatError(`${dir}/config.json: preprocessing.sampler must describe the "${this.config.sampler.kind}" sampler of the config, found ${JSON.stringify(s)}.`);
    this.samplerState = s;
    for (const [name, vars] of Object.entries(this.parts())) {
      const file = path.join(dir, name, 'weights.safetensors');
      const { tensors } = await readSafetensors(file);
      for (const [k, v] of Object.entries(vars)) {
        const t = tensors[k];
        if (!t || t.shape.join() !== v.shape.join()) {
          throw new ModelFormatError(`${file}: tensor "${k}" ${t ? `has shape [${t.shape.join(', ')}]` : 'is missing'}, the bib-ae config in ${dir}/config.json needs [${v.shape.join(', ')}]; the weights and config.json do not belong together.`);
        }
      }
      restoreVariables(vars, tensors);
      if (name === 'sampler' && this.config.sampler.kind === 'kde') {
        if (!tensors['kde.latents']) throw new ModelFormatError(`${file}: tensor "kde.latents" is missing; the KDE sampler needs its latents.`);
        this.setKde(tensors['kde.latents']);
      }
    }
    this.weightsTrained = true;
    this.runtime.setDir(dir);
  }

  /** Frees the networks and the session. */
  dispose(): void {
    disposeNetworks(this.nets);
    this.flow.dispose();
    this.runtime.release();
  }
}
