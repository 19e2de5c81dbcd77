/**
 * The feature network of the Fréchet Regression Distance (field-reference.md §2.7, after
 * uhh-pd-ml/Frechet-Distance-Evaluation): a regressor of the incident energy trained with L1
 * loss, Adam lr 1e-3, batch 64, whose 100-unit hidden layer gives the activations compared.
 * Two architectures: `dense` (any geometry; voxels → 256 → 100 → 1) and `conv3d` (grids; a small
 * 3D CNN: two 3×3×3 stride-2 convolutions with 8 and 16 channels, padding 1 → 100 → 1), LeakyReLU
 * 0.01, built from core's layer kit.
 * Inputs are ln(1 + E_voxel / 1 MeV); the target is log10(E_inc / MeV) standardised on the
 * training sample (the DESY net regressed E_inc itself over 10–100 GeV; the log spans the three
 * decades of the CaloChallenge). Weights are float32 and saved as config.json + weights.safetensors.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  AbortedError,
  Conv3d,
  Dense,
  InvalidArgumentError,
  ModelFormatError,
  Reshape,
  Rng,
  Sequential,
  namedValues,
  newPhaseState,
  prefixed,
  readJson,
  readSafetensors,
  restoreVariables,
  runPhase,
  shuffledRows,
  tf,
  type ProgressCallback,
  writeJsonAtomic,
  writeSafetensors,
  type Geometry,
  type Showers,
} from '@calozoo/core';
import { LEAKY_SLOPE } from '../classifier/network.js';

/** Architectures of the FRD feature network. */
export type FrdArchitecture = 'dense' | 'conv3d';

/** Width of the hidden layer whose activations FRD compares. */
export const FRD_FEATURES = 100;

/** Contents of config.json of a saved regressor. */
export interface FrdRegressorConfig {
  /** File format tag. */
  format: 'calozoo-frd-regressor';
  /** Format version (2: the layer kit's layers, PyTorch-style symmetric padding). */
  version: 2;
  /** Architecture. */
  arch: FrdArchitecture;
  /** Geometry id the regressor was trained on. */
  geometry: string;
  /** Voxels per shower. */
  voxels: number;
  /** Grid shape [z, x, y] (conv3d only). */
  shape?: [number, number, number];
  /** Mean of log10(E_inc) on the training sample. */
  targetMean: number;
  /** Standard deviation of log10(E_inc) on the training sample. */
  targetStd: number;
  /** Training settings and sample size. */
  training: { epochs: number; batchSize: number; learningRate: number; seed: number; showers: number; finalLoss: number };
}

/** Options of `FrdRegressor.train`. */
export interface FrdTrainOptions {
  /** Architecture; default conv3d for grids, dense otherwise. */
  arch?: FrdArchitecture;
  /** Epochs (default 10). */
  epochs?: number;
  /** Batch size (default 64, §2.7). */
  batchSize?: number;
  /** Adam learning rate (default 1e-3, §2.7). */
  learningRate?: number;
  /** Seed of initialisation and shuffles (default 1). */
  seed?: number;
  /** Called after each epoch with the mean L1 loss (standardised log-energy units). */
  onEpoch?: (epoch: number, loss: number) => void;
  /** Progress of the training, in steps (`train:frd-regressor`) and epochs. */
  onProgress?: ProgressCallback;
  /** Stops the training with an AbortedError. */
  signal?: AbortSignal;
}

/** The regressor's layers: `body` gives the FRD features, `head` the standardised log-energy. */
interface Network {
  body: Sequential;
  head: Dense;
}

const leaky = { name: 'leakyRelu' as const, alpha: LEAKY_SLOPE };

/**
 * Builds the layers with PyTorch's initialisation from `rng`: dense voxels → 256 → 100, or two
 * 3×3×3 stride-2 convolutions (8, 16 channels, padding 1) → 100; then 100 → 1.
 */
function network(arch: FrdArchitecture, voxels: number, shape: readonly [number, number, number] | undefined, rng: Rng): Network {
  if (arch === 'dense') {
    return { body: new Sequential([new Dense(voxels, 256, rng, { activation: leaky }), new Dense(256, FRD_FEATURES, rng, { activation: leaky })]), head: new Dense(FRD_FEATURES, 1, rng) };
  }
  if (!shape) throw new InvalidArgumentError('conv3d FRD regressor needs a grid shape');
  const convs = new Sequential([
    new Conv3d(1, 8, 3, rng, { stride: 2, padding: 1, activation: leaky }),
    new Conv3d(8, 16, 3, rng, { stride: 2, padding: 1, activation: leaky }),
  ]);
  const out = convs.outputShape([...shape, 1]);
  const flat = out.reduce((a, b) => a * b, 1);
  return { body: new Sequential([['convs', convs], ['flat', new Reshape([flat])], ['dense', new Dense(flat, FRD_FEATURES, rng, { activation: leaky })]]), head: new Dense(FRD_FEATURES, 1, rng) };
}

const variablesOf = (net: Network): Record<string, tf.Variable> => ({ ...prefixed('body', net.body.params()), ...prefixed('head', net.head.params()) });

/** An energy regressor whose hidden activations define FRD. */
export class FrdRegressor {
  private constructor(
    /** Configuration (saved as config.json). */
    readonly config: FrdRegressorConfig,
    private readonly net: Network,
  ) {}

  /** Trains a new regressor on showers of geometry `g` (call `selectTfBackend()` first). */
  static async train(showers: Showers, g: Geometry, options: FrdTrainOptions = {}): Promise<FrdRegressor> {
    if (showers.voxels !== g.voxels) throw new InvalidArgumentError(`FRD regressor: showers have ${showers.voxels} voxels, geometry "${g.id}" has ${g.voxels}`);
    const arch = options.arch ?? (g.kind === 'grid' ? 'conv3d' : 'dense');
    if (arch === 'conv3d' && g.kind !== 'grid') throw new InvalidArgumentError(`FRD regressor: conv3d needs a grid geometry, "${g.id}" is cylindrical; use arch 'dense'`);
    const epochs = options.epochs ?? 10;
    const batchSize = options.batchSize ?? 64;
    const learningRate = options.learningRate ?? 1e-3;
    const seed = options.seed ?? 1;
    const n = showers.n;
    if (n < 2) throw new InvalidArgumentError(`FRD regressor: need at least 2 training showers, got ${n}`);
    let m = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) m += Math.log10(showers.energy[i]);
    m /= n;
    for (let i = 0; i < n; i++) s2 += (Math.log10(showers.energy[i]) - m) ** 2;
    const sd = Math.sqrt(s2 / (n - 1)) || 1;
    const rng = new Rng(seed);
    const shape = g.kind === 'grid' ? ([...g.shape] as [number, number, number]) : undefined;
    const net = network(arch, g.voxels, shape, rng);
    const params = variablesOf(net);
    const config: FrdRegressorConfig = {
      format: 'calozoo-frd-regressor', version: 2, arch, geometry: g.id, voxels: g.voxels, shape, targetMean: m, targetStd: sd,
      training: { epochs, batchSize, learningRate, seed, showers: n, finalLoss: NaN },
    };
    const reg = new FrdRegressor(config, net);
    const state = await runPhase(
      {
        name: 'frd-regressor',
        optimizers: [{ name: 'main', vars: params, learningRate }],
        updates: [
          {
            optimizer: 'main',
            loss: (idx: Uint32Array) => {
              const x = reg.inputTensor(showers, idx);
              const t = tf.tensor2d(Float32Array.from(idx, (i) => (Math.log10(showers.energy[i]!) - m) / sd), [idx.length, 1]);
              return tf.mean(tf.abs(tf.sub(reg.forward(x).output, t))) as tf.Scalar;
            },
          },
        ],
        data: shuffledRows(n, batchSize, { dropLast: false }),
        maxEpochs: epochs,
        // No validation split: every epoch is kept (the last weights are the regressor).
        restoreBest: false,
      },
      newPhaseState(),
      {
        seed: rng.nextUint32(),
        index: 0,
        deadline: Infinity,
        signal: options.signal,
        history: [],
        checkpointDue: () => false,
        checkpoint: async () => {},
        onProgress: (e) => {
          options.onProgress?.(e);
          if (e.unit !== 'epochs') return;
          config.training.finalLoss = e.values!['loss']!;
          options.onEpoch?.(e.done, e.values!['loss']!);
        },
      },
    );
    if (state.stoppedBy === 'abort') throw new AbortedError('FRD regressor: training was aborted');
    if (state.stoppedBy === 'divergence') throw new InvalidArgumentError(`FRD regressor: training diverged (${state.divergence!.reason}); lower the learning rate (now ${learningRate})`);
    return reg;
  }

  /** Input tensor ln(1 + E/MeV) of the showers `idx`: [k, voxels] (dense) or [k, z, x, y, 1] (conv3d). */
  private inputTensor(s: Showers, idx: ArrayLike<number>): tf.Tensor {
    const V = this.config.voxels;
    const x = new Float32Array(idx.length * V);
    for (let k = 0; k < idx.length; k++) {
      const o = idx[k] * V;
      for (let i = 0; i < V; i++) x[k * V + i] = Math.log1p(Math.max(0, s.values[o + i]));
    }
    const sh = this.config.shape;
    return this.config.arch === 'conv3d' && sh ? tf.tensor5d(x, [idx.length, sh[0], sh[1], sh[2], 1]) : tf.tensor2d(x, [idx.length, V]);
  }

  /** Forward pass: the 100 hidden activations and the standardised log-energy output. */
  private forward(x: tf.Tensor): { features: tf.Tensor2D; output: tf.Tensor2D } {
    const features = this.net.body.apply(x) as tf.Tensor2D;
    return { features, output: this.net.head.apply(features) };
  }

  private run(s: Showers, which: 'features' | 'output', batch: number, rows?: ArrayLike<number>): Float64Array {
    if (s.voxels !== this.config.voxels) {
      throw new InvalidArgumentError(`FRD regressor for "${this.config.geometry}" expects ${this.config.voxels} voxels, showers have ${s.voxels}`);
    }
    const w = which === 'features' ? FRD_FEATURES : 1;
    const n = rows ? rows.length : s.n;
    const out = new Float64Array(n * w);
    for (let a = 0; a < n; a += batch) {
      const b = Math.min(n, a + batch);
      const idx = Uint32Array.from({ length: b - a }, (_, k) => (rows ? rows[a + k] : a + k));
      const t = tf.tidy(() => this.forward(this.inputTensor(s, idx))[which]);
      out.set(t.dataSync(), a * w);
      t.dispose();
    }
    return out;
  }

  /** Row-major n×100 hidden-layer activations (float64 copies) of the showers, or of rows `rows` only. */
  features(s: Showers, rows?: ArrayLike<number>, batch = 512): Float64Array {
    return this.run(s, 'features', batch, rows);
  }

  /** Predicted incident energies in MeV. */
  predictEnergy(s: Showers, batch = 512): Float64Array {
    const z = this.run(s, 'output', batch);
    return z.map((v) => 10 ** (v * this.config.targetStd + this.config.targetMean));
  }

  /** Saves config.json and weights.safetensors into `dir` (each written atomically). */
  async save(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await writeSafetensors(path.join(dir, 'weights.safetensors'), namedValues(variablesOf(this.net)), { format: this.config.format });
    await writeJsonAtomic(path.join(dir, 'config.json'), this.config);
  }

  /** Loads a regressor saved by `save`. */
  static async load(dir: string): Promise<FrdRegressor> {
    const cfgFile = path.join(dir, 'config.json');
    const config = await readJson<FrdRegressorConfig>(cfgFile);
    if (config.format !== 'calozoo-frd-regressor' || config.version !== 2) {
      throw new ModelFormatError(`${cfgFile}: not an FRD regressor of this version (format "${String(config.format)}", version ${String(config.version)}, this @calozoo/metrics reads version 2); delete the directory to retrain`);
    }
    const file = path.join(dir, 'weights.safetensors');
    const { tensors } = await readSafetensors(file);
    const net = network(config.arch, config.voxels, config.shape, new Rng(0));
    const vars = variablesOf(net);
    for (const [k, v] of Object.entries(vars)) {
      const t = tensors[k];
      if (!t || t.shape.join() !== v.shape.join()) throw new ModelFormatError(`${file}: tensor "${k}" is ${t ? `[${t.shape.join(', ')}]` : 'missing'}, expected [${v.shape.join(', ')}]; delete the directory to retrain`);
    }
    restoreVariables(vars, tensors);
    return new FrdRegressor(config, net);
  }

  /** Frees the weights. */
  dispose(): void {
    this.net.body.dispose();
    this.net.head.dispose();
  }
}

/**
 * Loads the regressor saved in `dir` if it exists and matches geometry `g`, otherwise trains one
 * on `training` and saves it there.
 */
export async function loadOrTrainFrdRegressor(dir: string, training: Showers, g: Geometry, options: FrdTrainOptions = {}): Promise<{ regressor: FrdRegressor; trained: boolean }> {
  const exists = await fs.stat(path.join(dir, 'config.json')).then(() => true, () => false);
  if (exists) {
    const regressor = await FrdRegressor.load(dir);
    if (regressor.config.geometry !== g.id || regressor.config.voxels !== g.voxels) {
      regressor.dispose();
      throw new ModelFormatError(`${dir}: FRD regressor was trained for geometry "${regressor.config.geometry}", not "${g.id}"; pass another directory or delete it to retrain`);
    }
    return { regressor, trained: false };
  }
  const regressor = await FrdRegressor.train(training, g, options);
  await regressor.save(dir);
  return { regressor, trained: true };
}
