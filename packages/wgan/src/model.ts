/**
 * `WganModel`: a WGAN-GP (or plain GAN) for one geometry, made of core's kit: networks from
 * `build.ts`, training through core's `train` (one phase, `training.ts`), generation on ONNX
 * Runtime through `ModelSessions` (or TF.js with `runtime: 'tfjs'`), and the model directory
 * (`generator/`, `critic/`, `constrainer/`, each `weights.safetensors`, plus config.json).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  MODEL_FORMAT_VERSION, ModelFormatError, ModelSessions, OnnxGraphBuilder, Rng, generateInBatches, namedValues, networkBatch, prefixed, readModelConfig, readSafetensors, restoreVariables, tf, tidyValues, train,
  writeModelConfig, writeSafetensors,
  type Conditions, type FitOptions, type FitReport, type GenerateOptions, type Generator, type Geometry, type Logger, type ModelCard, type OnnxExportMetadata,
  type ShowerSource, type Showers, type Trainable,
  prepareData, fitRepresentation, hasScale, readoutThreshold, representationFor, withConditionScale, withReadout, type Representation,
} from '@calozoo/core';
import { buildNetworks, disposeNetworks, initialiseNetworks } from './build.js';
import { representationSettings, type WganConfig } from './config.js';
import type { WganNetworks } from './networks.js';
import { uniformNoise, wganPhase } from './training.js';
import { WGAN_VERSION } from './version.js';

/** The plugins this class serves (they share networks, losses and format). */
export type WganPluginName = 'wgan-gp' | 'gan';

/** Component folders of a saved model. */
export const COMPONENTS = { generator: 'generator/', critic: 'critic/', constrainer: 'constrainer/' } as const;

/** Showers per network call when `generate` is not told: small for the 3-D networks (memory), large for MLPs. */
const DEFAULT_BATCH = { conv: 16, dense: 4096 } as const;

/**
 * Showers per network call of a conv generator on ONNX Runtime's CPU provider when `generate` is
 * not told: the bare ONNX session ran the ILD generators fastest per shower in calls of 2–4 (AMD
 * EPYC, 2 threads: 30³ 20.2 ms at 4 against 22.6 at 16, 48×25×25 12.9 against 13.9); through
 * `generate`, 4 rounds of 200 showers, 24.4 against 25.7 and 14.9 against 15.4 (README). TF.js and
 * CUDA keep `DEFAULT_BATCH`.
 */
const ORT_CPU_CONV_BATCH = 4;

/** The most showers per network call, whatever `batchSize` asks: the ILD 30³ generator's largest activation is about 2.7 MB per shower. */
const MAX_BATCH = { conv: 256, dense: Infinity } as const;

/** A trained or untrained WGAN-GP / GAN for one geometry. */
export class WganModel implements Generator, Trainable {
  /** Plugin, version, geometry and conditions. */
  readonly card: ModelCard;
  /** The networks (exposed for tests and inspection). */
  readonly nets: WganNetworks;
  /** What the networks see; a `fraction` scale is fitted by the first `fit` (or read by `loadFrom`). */
  private repr: Representation;
  private scaleFitted = false;
  /** Whether the weights came from training or a model directory (a later `fit` continues from them). */
  private weightsTrained = false;
  private readonly runtime: ModelSessions<'generator'>;

  /** Creates the networks for `geometry` (seeded, published initialisation); warnings go to `logger`. */
  constructor(readonly plugin: WganPluginName, readonly config: WganConfig, readonly geometry: Geometry, private readonly logger?: Logger) {
    this.nets = buildNetworks(config, geometry, `${plugin} config`);
    this.repr = this.conditioned(representationFor(representationSettings(config)));
    this.card = { plugin, pluginVersion: WGAN_VERSION, geometry: geometry.id, conditions: ['energy'] };
    const L = config.latentDim;
    const V = geometry.voxels;
    this.runtime = new ModelSessions({
      card: this.card,
      opset: 17,
      // The condition is an input: ONNX Runtime's vectorised Log and its scalar tail round
      // differently, so a Log in the graph made a shower depend on its position in the batch.
      glue: 'z ~ U(-1, 1) drawn in JavaScript from the seed, in shower order; the network condition computed in JavaScript from the energy (see preprocessing in config.json)',
      warn: (m) => this.logger?.warn(m),
      settingsKey: () => JSON.stringify(this.repr.constants),
      graphs: () => ({
        generator: {
          file: 'onnx/generator.onnx', inputs: { z: ['n', L], condition: ['n', 1], energy: ['n', 1] }, outputs: { showers: ['n', V] },
          description: 'generator: uniform noise, network condition and incident energy (MeV) → showers (MeV)', build: (meta) => this.graph().toBytes(meta),
        },
      }),
    });
  }

  /** Every variable by its saved name, `<component>.<name>`. */
  private variables(): Record<string, tf.Variable> {
    const { generator, critic, constrainer } = this.nets;
    return { ...prefixed('generator', generator.variables()), ...prefixed('critic', critic.variables()), ...(constrainer ? prefixed('constrainer', constrainer.variables()) : {}) };
  }

  /** `repr` with the config's `conditionScale` (the `mev` representation's E in GeV is left as it is). */
  private conditioned(repr: Representation): Representation {
    return repr.name === 'mev' ? repr : withConditionScale(repr, this.config.conditionScale);
  }

  /** Whether the config applies the data's readout threshold (`conv.readoutThreshold` or `dense.readoutThreshold`). */
  private readout(): boolean {
    return this.config.architecture === 'conv' ? this.config.conv.readoutThreshold : this.config.dense.readoutThreshold;
  }

  /** Trains through core's engine (validation split, early stopping on the validation score, checkpoints, resume, time limit). */
  async fit(data: ShowerSource, options: FitOptions): Promise<FitReport> {
    // A fresh model draws its initial weights from the fit seed (a resumed fit restores its checkpoint after this).
    if (!this.weightsTrained) initialiseNetworks(this.nets, options.seed);
    const d = await prepareData(data, this.geometry, (s, rows) => {
      // The scale is fitted once (a loaded or trained model keeps its own), so that continued training sees the same values.
      if (!this.scaleFitted) {
        const settings = representationSettings(this.config);
        this.repr = this.conditioned(settings.architecture === 'conv'
          ? withReadout(representationFor(settings), this.readout() ? readoutThreshold(s.values, s.voxels, rows) : 0)
          : fitRepresentation(settings, s.values, s.energy, s.voxels, rows));
      }
      this.scaleFitted = true;
      return this.repr;
    }, this.config, { ...options, name: this.plugin });
    const vars = this.variables();
    let release = (): void => {};
    let r: Awaited<ReturnType<typeof train>>;
    try {
      r = await train(
        {
          name: this.plugin,
          stages: [{ name: 'wgan', phase: () => {
            const p = wganPhase(this.nets, this.config, d, this.geometry, options);
            release = p.release;
            return p;
          } }],
          weights: () => namedValues(vars),
          setWeights: (w) => restoreVariables(vars, w),
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

  /** The generator as an ONNX graph: z [n, latent], condition [n, 1], energy [n, 1] (MeV) → showers [n, V] (MeV). */
  private graph(): OnnxGraphBuilder {
    const g = new OnnxGraphBuilder({ opset: 17 });
    const z = g.input('z', 'float32', [null, this.config.latentDim]);
    const c = g.input('condition', 'float32', [null, 1]);
    const e = g.input('energy', 'float32', [null, 1]);
    const x = this.nets.generator.toOnnx(g, z, c);
    g.output(this.repr.decodeOnnx(g, x, e), 'showers');
    return g;
  }

  /** One shower per energy; the noise is drawn in shower order, so the batch size does not matter. */
  async generate(conditions: Conditions, options: GenerateOptions): Promise<Showers> {
    const n = conditions.energy.length;
    const V = this.geometry.voxels;
    const L = this.config.latentDim;
    const z = uniformNoise(new Rng(options.seed), n, L);
    const ort = options.runtime === 'tfjs' ? null : (await this.runtime.open(options.threads)).sessions.generator;
    const arch = this.config.architecture;
    const fallback = arch === 'conv' && ort?.device.chosen === 'cpu' ? ORT_CPU_CONV_BATCH : DEFAULT_BATCH[arch];
    return generateInBatches(conditions, V, networkBatch(options.batchSize, fallback, MAX_BATCH[arch]), async (s, t) => {
      const e = conditions.energy.slice(s, t);
      const c = this.repr.condition(e);
      const zb = z.subarray(s * L, t * L);
      if (ort) return (await ort.run({ z: { data: zb, dims: [t - s, L] }, condition: { data: c, dims: [t - s, 1] }, energy: { data: e, dims: [t - s, 1] } }))['showers']!.data as Float32Array;
      return tidyValues<Float32Array>(() => {
        const x = this.nets.generator.apply(tf.tensor2d(zb, [t - s, L]), tf.tensor2d(c, [t - s, 1]));
        return this.repr.decode(x, tf.tensor2d(e, [t - s, 1]));
      });
    }, options, this.plugin);
  }

  /** Writes `onnx/generator.onnx` and its metadata into the saved model directory `dir`. */
  exportOnnx(dir: string): Promise<OnnxExportMetadata> {
    return this.runtime.export(dir);
  }

  /** Writes config.json and `<component>/weights.safetensors` for the generator, critic and constrainer. */
  async save(dir: string): Promise<void> {
    const parts = { generator: this.nets.generator, critic: this.nets.critic, ...(this.nets.constrainer ? { constrainer: this.nets.constrainer } : {}) };
    const components: Record<string, string> = {};
    for (const [name, net] of Object.entries(parts)) {
      await fs.mkdir(path.join(dir, name), { recursive: true });
      await writeSafetensors(path.join(dir, name, 'weights.safetensors'), namedValues(net.variables()));
      components[name] = COMPONENTS[name as keyof typeof COMPONENTS];
    }
    await writeModelConfig(dir, {
      plugin: this.plugin, pluginVersion: WGAN_VERSION, formatVersion: MODEL_FORMAT_VERSION, geometry: this.geometry.id,
      conditions: ['energy'], preprocessing: { ...this.repr.constants }, components, config: this.config,
    });
    this.runtime.setDir(dir);
  }

  /** Restores the weights of a saved directory (every component the config has) and its preprocessing constants. */
  async loadFrom(dir: string): Promise<void> {
    const { preprocessing } = await readModelConfig(dir);
    if (hasScale(this.repr.name)) {
      const scale = preprocessing['scale'];
      if (typeof scale !== 'number' || !(scale > 0)) throw new ModelFormatError(`${dir}/config.json: preprocessing.scale must be a positive number for the fraction representation, found ${JSON.stringify(scale)}.`);
      this.repr = this.conditioned(representationFor(representationSettings(this.config), scale));
      this.scaleFitted = true;
    }
    if (this.readout()) {
      const threshold = preprocessing['threshold'];
      if (typeof threshold !== 'number' || !(threshold >= 0)) throw new ModelFormatError(`${dir}/config.json: preprocessing.threshold must be a number ≥ 0 when ${this.config.architecture}.readoutThreshold is on, found ${JSON.stringify(threshold)}.`);
      this.repr = withReadout(this.repr, threshold);
      this.scaleFitted = true;
    }
    const parts = { generator: this.nets.generator, critic: this.nets.critic, ...(this.nets.constrainer ? { constrainer: this.nets.constrainer } : {}) };
    for (const [name, net] of Object.entries(parts)) {
      const file = path.join(dir, name, 'weights.safetensors');
      const { tensors } = await readSafetensors(file);
      for (const [k, v] of Object.entries(net.variables())) {
        const t = tensors[k];
        if (!t || t.shape.join() !== v.shape.join()) {
          throw new ModelFormatError(`${file}: tensor "${k}" ${t ? `has shape [${t.shape.join(', ')}]` : 'is missing'}, the ${this.plugin} config in ${dir}/config.json needs [${v.shape.join(', ')}]; the weights and config.json do not belong together.`);
        }
      }
      restoreVariables(net.variables(), tensors);
    }
    this.weightsTrained = true;
    this.runtime.setDir(dir);
  }

  /** Frees the networks and the session. */
  dispose(): void {
    disposeNetworks(this.nets);
    this.runtime.release();
  }
}
