/**
 * An example model plugin, `dense-vae`: a conditional VAE on x = log(1 + 1000·E_voxel/E_inc)
 * with dense encoder and decoder, made only of @calozoo/core's kit (layers, training engine,
 * model directory, ONNX builder). Everything a plugin owns is here: networks, loss, config.
 * Importing the module registers the plugin (`calozoo --plugin @calozoo/example-dense-vae`).
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  Dense, MODEL_FORMAT_VERSION, ModelSessions, OnnxGraphBuilder, Rng, Sequential, generateInBatches, getGeometry, mergeConfig, namedValues, prefixed, readModelConfig,
  readSafetensors, registerModel, restoreVariables, shuffledRows, tf, tidyValues, train, writeModelConfig, writeSafetensors,
  type Conditions, type FitOptions, type FitReport, type GenerateOptions, type Generator, type Geometry, type Logger, type ModelPlugin, type OnnxExportMetadata,
  type ShowerSource, type Showers, type Trainable,
} from '@calozoo/core';

/** The plugin's config (written to config.json). */
export interface DenseVaeConfig {
  latentDim: number;
  hidden: number;
  beta: number;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
}

const DEFAULTS: DenseVaeConfig = { latentDim: 8, hidden: 128, beta: 1, learningRate: 1e-3, batchSize: 128, maxEpochs: 40, patience: 5 };
const NAME = 'dense-vae';
const VERSION = '0.0.1';
/** Network input: log(1 + SCALE · E_voxel / E_inc). */
const SCALE = 1000;
const cond = (e: ArrayLike<number>): Float32Array => Float32Array.from(e, (x) => Math.log10(x / 1000) / 3 - 0.5);

/** A trained or untrained dense VAE for one geometry. */
export class DenseVae implements Generator, Trainable {
  readonly card;
  private readonly encoder: Sequential;
  private readonly decoder: Sequential;
  /** The decoder's onnxruntime session and ONNX export (core's generation runtime). */
  private readonly runtime: ModelSessions<'generator'>;

  /** Creates the networks (seeded); warnings go to `logger`. */
  constructor(readonly config: DenseVaeConfig, readonly geometry: Geometry, logger?: Logger) {
    const { latentDim: D, hidden: H } = config;
    const V = geometry.voxels;
    const rng = new Rng(1);
    this.encoder = new Sequential([new Dense(V + 1, H, rng, { activation: 'relu' }), new Dense(H, 2 * D, rng)]);
    this.decoder = new Sequential([new Dense(D + 1, H, rng, { activation: 'relu' }), new Dense(H, H, rng, { activation: 'relu' }), new Dense(H, V, rng)]);
    this.card = { plugin: NAME, pluginVersion: VERSION, geometry: geometry.id, conditions: ['energy' as const] };
    this.runtime = new ModelSessions({
      card: this.card, opset: 17, glue: 'z ~ N(0, 1) drawn in JavaScript from the seed', warn: (m) => logger?.warn(m),
      graphs: () => ({
        generator: {
          file: 'onnx/decoder.onnx', inputs: { z: ['n', D], energy: ['n', 1] }, outputs: { showers: ['n', V] },
          description: 'decoder: latent noise and incident energy → showers (MeV)', build: (meta) => this.graph().toBytes(meta),
        },
      }),
    });
  }

  private vars(): Record<string, tf.Variable> {
    return { ...prefixed('encoder', this.encoder.params()), ...prefixed('decoder', this.decoder.params()) };
  }

  /** Negative ELBO per shower of x [m, V] with condition c [m, 1] and noise eps [m, D]. */
  private loss(x: tf.Tensor2D, c: tf.Tensor2D, eps: tf.Tensor2D): tf.Scalar {
    const D = this.config.latentDim;
    const h = this.encoder.apply(tf.concat([x, c], 1)) as tf.Tensor2D;
    const mu = tf.slice(h, [0, 0], [-1, D]);
    const logVar = tf.slice(h, [0, D], [-1, D]);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), eps));
    const rec = tf.sum(tf.square(tf.sub(this.decoder.apply(tf.concat([z, c], 1)), x)), 1);
    const kl = tf.mul(0.5, tf.sum(tf.sub(tf.add(tf.exp(logVar), tf.square(mu)), tf.add(logVar, 1)), 1));
    return tf.mean(tf.add(rec, tf.mul(this.config.beta, kl)));
  }

  /** Trains through core's engine: one phase, validation split, early stopping, checkpoints. */
  async fit(data: ShowerSource, options: FitOptions): Promise<FitReport> {
    const s = await data.readRange(0, data.n);
    const V = s.voxels;
    const x = Float32Array.from(s.values, (v, i) => Math.log1p((SCALE * Math.max(0, v)) / s.energy[Math.floor(i / V)]!));
    const c = cond(s.energy);
    const nVal = Math.max(1, Math.round(s.n * (options.validationFraction ?? 0.2)));
    const nTrain = s.n - nVal;
    const D = this.config.latentDim;
    const batchLoss = (rows: ArrayLike<number>, eps: Float32Array): tf.Scalar => {
      const m = rows.length;
      const xb = new Float32Array(m * V);
      for (let i = 0; i < m; i++) xb.set(x.subarray(rows[i]! * V, rows[i]! * V + V), i * V);
      return this.loss(tf.tensor2d(xb, [m, V]), tf.tensor2d(Float32Array.from(rows, (r) => c[r]!), [m, 1]), tf.tensor2d(eps, [m, D]));
    };
    const val = Uint32Array.from({ length: nVal }, (_, i) => nTrain + i);
    const valEps = new Rng(options.seed, 5).fillNormal(new Float32Array(nVal * D)) as Float32Array;
    const vars = this.vars();
    const r = await train(
      {
        name: NAME,
        stages: [{
          name: 'vae',
          phase: () => ({
            name: 'vae',
            optimizers: [{ name: 'main', vars, learningRate: this.config.learningRate }],
            updates: [{ optimizer: 'main', loss: (rows: Uint32Array, rng: Rng) => batchLoss(rows, rng.fillNormal(new Float32Array(rows.length * D)) as Float32Array) }],
            data: shuffledRows(nTrain, this.config.batchSize),
            maxEpochs: this.config.maxEpochs,
            patience: this.config.patience,
            validate: () => tf.tidy(() => batchLoss(val, valEps).dataSync()[0]!),
          }),
        }],
        weights: () => namedValues(vars),
        setWeights: (w) => restoreVariables(vars, w),
      },
      options,
    );
    this.runtime.setDir(null);
    return { history: r.history, seconds: r.seconds, stoppedBy: r.stoppedBy, trainSize: nTrain, validationSize: nVal };
  }

  /** The decoder as an ONNX graph: z [n, D], energy [n, 1] → showers [n, V] (MeV). */
  private graph(): OnnxGraphBuilder {
    const g = new OnnxGraphBuilder();
    const z = g.input('z', 'float32', [null, this.config.latentDim]);
    const e = g.input('energy', 'float32', [null, 1]);
    const c = g.sub(g.div(g.div(g.log(g.div(e, 1000)), Math.LN10), 3), 0.5);
    const x = this.decoder.toOnnx(g, g.concat([z, c], 1));
    g.output(g.mul(g.relu(g.sub(g.exp(x), 1)), g.div(e, SCALE)), 'showers');
    return g;
  }

  /** One shower per energy; noise drawn in shower order, so the batch size does not matter. */
  async generate(conditions: Conditions, options: GenerateOptions): Promise<Showers> {
    const n = conditions.energy.length;
    const V = this.geometry.voxels;
    const D = this.config.latentDim;
    const z = new Rng(options.seed).fillNormal(new Float32Array(n * D)) as Float32Array;
    const ort = options.runtime === 'tfjs' ? null : (await this.runtime.open(options.threads)).sessions.generator;
    return generateInBatches(conditions, V, options.batchSize ?? 4096, async (s, t) => {
      const e = conditions.energy.slice(s, t);
      const zb = z.subarray(s * D, t * D);
      if (ort) return (await ort.run({ z: { data: zb, dims: [t - s, D] }, energy: { data: e, dims: [t - s, 1] } }))['showers']!.data as Float32Array;
      return tidyValues<Float32Array>(() => {
        const x = this.decoder.apply(tf.concat([tf.tensor2d(zb, [t - s, D]), tf.tensor2d(cond(e), [t - s, 1])], 1));
        return tf.mul(tf.relu(tf.expm1(x)), tf.div(tf.tensor2d(e, [t - s, 1]), SCALE));
      });
    }, options);
  }

  /** Writes `onnx/decoder.onnx` and its metadata into the saved model directory `dir`. */
  exportOnnx(dir: string): Promise<OnnxExportMetadata> {
    return this.runtime.export(dir);
  }

  /** Writes config.json and net/weights.safetensors. */
  async save(dir: string): Promise<void> {
    await fs.mkdir(path.join(dir, 'net'), { recursive: true });
    await writeSafetensors(path.join(dir, 'net', 'weights.safetensors'), namedValues(this.vars()));
    await writeModelConfig(dir, {
      plugin: NAME, pluginVersion: VERSION, formatVersion: MODEL_FORMAT_VERSION, geometry: this.geometry.id,
      conditions: ['energy'], preprocessing: { scale: SCALE }, components: { net: 'net/' }, config: this.config,
    });
    this.runtime.setDir(dir);
  }

  /** Restores the weights of a saved directory. */
  async loadFrom(dir: string): Promise<void> {
    restoreVariables(this.vars(), (await readSafetensors(path.join(dir, 'net', 'weights.safetensors'))).tensors);
    this.runtime.setDir(dir);
  }

  /** Frees the networks and the session. */
  dispose(): void {
    this.encoder.dispose();
    this.decoder.dispose();
    this.runtime.release();
  }
}

/** The `dense-vae` plugin. */
export const denseVaePlugin: ModelPlugin<DenseVaeConfig> = {
  name: NAME,
  version: VERSION,
  description: 'example: a tiny conditional dense VAE built from core’s kit',
  geometries: 'any',
  defaultConfig: () => ({ ...DEFAULTS }),
  parseConfig: (raw, source) => mergeConfig({ ...DEFAULTS }, raw, source),
  create: async (config, geometry) => new DenseVae(config, geometry),
  load: async (dir, options) => {
    const cfg = await readModelConfig<DenseVaeConfig>(dir);
    const model = new DenseVae(mergeConfig({ ...DEFAULTS }, cfg.config, `${dir}/config.json`), getGeometry(cfg.geometry), options?.logger);
    await model.loadFrom(dir);
    return model;
  },
};

registerModel(denseVaePlugin);
