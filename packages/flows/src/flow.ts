/**
 * `Flow`: a bijector (data → noise) plus a standard-normal base, with exact log-densities by the
 * change of variables, log p(x|c) = log N(f(x; c); 0, I) + log|det ∂f/∂x| (Papamakarios et al.
 * 2021, "Normalizing Flows for Probabilistic Modeling and Inference", arXiv:1912.02762, eq. 2).
 */
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  InvalidArgumentError,
  ModelFormatError,
  OnnxGraphBuilder,
  type OnnxValue,
  readJson,
  readSafetensors,
  writeJsonAtomic,
  writeSafetensors,
  type NamedTensor,
  type Rng,
} from '@calozoo/core';
import { compose, type Bijector } from './bijector.js';
import { buildLayers, parseFlowConfig, type FlowConfig } from './config.js';
import { prefixed } from '@calozoo/core';

const LOG_2PI = Math.log(2 * Math.PI);

/** File names inside a saved flow directory. */
export const FLOW_FILES = { config: 'config.json', weights: 'weights.safetensors' } as const;

/** A normalising flow with a standard-normal base distribution. */
export class Flow {
  /** The resolved configuration this flow was built from (written to `config.json`). */
  readonly config: FlowConfig;
  /** The data → noise bijector (the composition of the layers). */
  readonly bijector: Bijector;
  /** Number of data features. */
  readonly dim: number;
  /** Number of context features (0 when unconditional). */
  readonly contextDim: number;

  /** Builds the flow and initialises its weights from `config.seed`. @throws ConfigError on an invalid config */
  constructor(config: FlowConfig) {
    this.config = parseFlowConfig(config, 'Flow constructor');
    this.dim = this.config.dim;
    this.contextDim = this.config.contextDim;
    this.bijector = compose(...buildLayers(this.config));
    this.bijector.setTraining?.(false);
  }

  /** Checks x (and context) shapes and returns the context broadcast to n rows, or undefined. */
  private prepare(n: number, context: tf.Tensor2D | undefined, what: string): tf.Tensor2D | undefined {
    if (this.contextDim === 0) {
      if (context) throw new InvalidArgumentError(`${what}: this flow is unconditional (contextDim 0) but a context was passed`);
      return undefined;
    }
    if (!context) throw new InvalidArgumentError(`${what}: this flow needs a context of shape [n, ${this.contextDim}]`);
    if (context.rank !== 2 || context.shape[1] !== this.contextDim || (context.shape[0] !== n && context.shape[0] !== 1)) {
      throw new InvalidArgumentError(`${what}: context must have shape [${n}, ${this.contextDim}] or [1, ${this.contextDim}], got [${context.shape}]`);
    }
    return context.shape[0] === n ? context : tf.tile(context, [n, 1]);
  }

  private checkX(x: tf.Tensor, what: string): void {
    if (x.rank !== 2 || x.shape[1] !== this.dim) throw new InvalidArgumentError(`${what}: x must have shape [n, ${this.dim}], got [${x.shape}]`);
  }

  /** Log-density of the standard normal base at z, per row. */
  private baseLogProb(z: tf.Tensor2D): tf.Tensor1D {
    return tf.sub(tf.mul(-0.5, tf.sum(tf.square(z), 1)), 0.5 * this.dim * LOG_2PI) as tf.Tensor1D;
  }

  /** Exact log p(x | context) per row, in nats. @param x [n, dim] @param context [n or 1, contextDim] */
  logProb(x: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor1D {
    this.checkX(x, 'Flow.logProb');
    return tf.tidy(() => {
      const c = this.prepare(x.shape[0], context, 'Flow.logProb');
      const { y, logDet } = this.bijector.forward(x, c);
      return tf.add(this.baseLogProb(y), logDet) as tf.Tensor1D;
    });
  }

  /** Draws n samples [n, dim] using `rng` for the base noise. */
  sample(n: number, rng: Rng, context?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.sampleAndLogProb(n, rng, context).x);
  }

  /** Draws n samples and their log-densities in one inverse pass. */
  sampleAndLogProb(n: number, rng: Rng, context?: tf.Tensor2D): { x: tf.Tensor2D; logProb: tf.Tensor1D } {
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`Flow.sample: n must be a positive integer, got ${n}`);
    return tf.tidy(() => {
      const c = this.prepare(n, context, 'Flow.sample');
      const z = tf.tensor2d(this.drawNoise(n, rng), [n, this.dim]);
      const { x, logDet } = this.bijector.inverse(z, c);
      return { x, logProb: tf.sub(this.baseLogProb(z), logDet) as tf.Tensor1D };
    });
  }

  /** The samples of given base noise [n, dim] (e.g. `drawNoise`), so a caller can draw the noise itself; the map `toOnnxSample` writes. */
  sampleFromNoise(noise: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const c = this.prepare(noise.shape[0], context, 'Flow.sampleFromNoise');
      return this.bijector.inverse(noise, c).x;
    });
  }

  /** The base noise `sample(n, rng)` would use: n·dim standard normals from `rng`, row-major. */
  drawNoise(n: number, rng: Rng): Float32Array {
    const noise = new Float32Array(n * this.dim);
    rng.fillNormal(noise);
    return noise;
  }

  /**
   * Appends the sampling map noise [n, dim] (+ context [n, contextDim]) → x [n, dim] to an ONNX
   * graph, with the current weights as initializers (evaluation mode).
   * @throws InvalidArgumentError for a layer without an ONNX inverse, or a missing/extra context
   */
  toOnnxSample(g: OnnxGraphBuilder, noise: OnnxValue, context?: OnnxValue): OnnxValue {
    if ((this.contextDim > 0) !== Boolean(context)) {
      throw new InvalidArgumentError(`Flow.toOnnxSample: this flow has contextDim ${this.contextDim}; pass a context exactly when it is > 0`);
    }
    const inv = this.bijector.onnxInverse;
    if (!inv) throw new InvalidArgumentError('Flow.toOnnxSample: this flow has no ONNX inverse');
    return inv.call(this.bijector, g, noise, context);
  }

  /**
   * A standalone ONNX sampler: inputs `noise` [batch, dim] (standard normal, e.g. `drawNoise`) and,
   * for conditional flows, `context` [batch, contextDim]; output `x` [batch, dim].
   */
  onnxSampler(opset = 17): OnnxGraphBuilder {
    const g = new OnnxGraphBuilder({ opset, name: 'flow_sampler' });
    const noise = g.input('noise', 'float32', ['batch', this.dim]);
    const context = this.contextDim > 0 ? g.input('context', 'float32', ['batch', this.contextDim]) : undefined;
    g.output(this.toOnnxSample(g, noise, context), 'x');
    return g;
  }

  /** Every weight and buffer, keyed `layers.<i>.<name>` as in `weights.safetensors`. */
  variables(): Record<string, tf.Variable> {
    return prefixed('layers', this.bijector.variables?.() ?? {});
  }

  /** The trainable variables (what the optimiser updates), keyed as in `variables()`. */
  trainableVariables(): Record<string, tf.Variable> {
    return Object.fromEntries(Object.entries(this.variables()).filter(([, v]) => v.trainable));
  }

  /** Training mode uses batch statistics (batch norm) and data-dependent initialisation (ActNorm). */
  setTraining(training: boolean): void {
    this.bijector.setTraining?.(training);
  }

  /** Writes `config.json` and `weights.safetensors` into `dir` (created if needed), each atomically. */
  async save(dir: string): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    const tensors: Record<string, NamedTensor> = {};
    for (const [k, v] of Object.entries(this.variables())) {
      tensors[k] = { dtype: 'F32', shape: v.shape.slice(), data: Float32Array.from(v.dataSync() as Float32Array) };
    }
    await writeSafetensors(join(dir, FLOW_FILES.weights), tensors, { format: 'calozoo-flow', formatVersion: String(this.config.formatVersion) });
    await writeJsonAtomic(join(dir, FLOW_FILES.config), this.config);
  }

  /** Rebuilds a flow saved by `save`. @throws ModelFormatError on a missing, extra or misshapen tensor */
  static async load(dir: string): Promise<Flow> {
    const configPath = join(dir, FLOW_FILES.config);
    const flow = new Flow(parseFlowConfig(await readJson(configPath), configPath));
    const weightsPath = join(dir, FLOW_FILES.weights);
    const { tensors } = await readSafetensors(weightsPath);
    const vars = flow.variables();
    for (const [k, v] of Object.entries(vars)) {
      const t = tensors[k];
      if (!t) throw new ModelFormatError(`${weightsPath}: tensor "${k}" is missing; the file does not match ${configPath}.`);
      if (t.shape.length !== v.shape.length || t.shape.some((s, i) => s !== v.shape[i])) {
        throw new ModelFormatError(`${weightsPath}: tensor "${k}" has shape [${t.shape}], but ${configPath} implies [${v.shape}].`);
      }
      tf.tidy(() => v.assign(tf.tensor(Float32Array.from(t.data), t.shape)));
    }
    const extra = Object.keys(tensors).filter((k) => !(k in vars));
    if (extra.length) throw new ModelFormatError(`${weightsPath}: unexpected tensors ${extra.slice(0, 5).join(', ')}; the file does not match ${configPath}.`);
    return flow;
  }

  /** Releases every weight. */
  dispose(): void {
    this.bijector.dispose?.();
  }
}
