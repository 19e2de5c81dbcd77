/**
 * The layers: Dense, Conv3d, ConvTranspose3d (written to ONNX in its exact sub-pixel form),
 * BatchNorm, LayerNorm, InstanceNorm, MaxPool3d, Activation, Reshape/Flatten and Sequential. Arguments follow PyTorch's
 * (kernel, stride, padding, output_padding; BatchNorm momentum 0.1, ε 1e-5; LayerNorm ε 1e-5), so
 * a published layer list carries over as written. See `layer.ts` for the layout rule.
 */
import { InvalidArgumentError } from '../errors.js';
import { dense, type DenseActivation } from '../device/native-dense.js';
import { tf } from '../device/tf.js';
import type { OnnxGraphBuilder, PhaseForm } from '../onnx/builder.js';
import type { ActivationSpec, OnnxValue, RawTensor } from '../onnx/types.js';
import type { Rng } from '../rng.js';
import { activate, cachedWeight, initBound, prefixed, rawComputed, tensorToRaw, uniformValues, variableOf, type Init, type Layer } from './layer.js';

/** A size per spatial axis (depth, height, width) of a 3-D layer. */
export type Triple = readonly [number, number, number];
const triple = (x: number | Triple): Triple => (typeof x === 'number' ? [x, x, x] : x);
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);
/** tf filter [kd, kh, kw, a, b] → ONNX (b, a, kd, kh, kw): Conv's (out, in, …) and ConvTranspose's (in, out, …). */
const filterToOnnx = (f: tf.Tensor): RawTensor => rawComputed(() => tf.transpose(f, [4, 3, 0, 1, 2]));

/** Options of `Dense`. */
export interface DenseOptions {
  /** Activation after the layer (default linear). */
  activation?: ActivationSpec;
  /** Initialisation (default PyTorch's). */
  init?: Init;
  /** Constant 0/1 mask [in, out] on the kernel (MADE); not a parameter. */
  mask?: Float32Array;
  /** No bias. */
  noBias?: boolean;
}

/** y = act(x·W + b) for x [n, in]; one native kernel with a linear or ReLU activation. */
export class Dense implements Layer {
  /** Kernel [in, out]. */
  readonly kernel: tf.Variable;
  /** Bias [out], unless `noBias`. */
  readonly bias: tf.Variable | null;
  private readonly mask: tf.Tensor2D | null;
  private readonly activation: ActivationSpec;

  /** Creates the layer; the kernel is drawn from `rng` first, then the bias. */
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    options: DenseOptions = {},
  ) {
    if (!(inFeatures >= 1 && outFeatures >= 1)) throw new InvalidArgumentError(`Dense: sizes must be ≥ 1, got ${inFeatures} → ${outFeatures}`);
    const bound = initBound(options.init, inFeatures);
    this.kernel = variableOf(uniformValues(rng, inFeatures * outFeatures, bound), [inFeatures, outFeatures]);
    this.bias = options.noBias ? null : variableOf(uniformValues(rng, outFeatures, bound), [outFeatures]);
    if (options.mask && options.mask.length !== inFeatures * outFeatures) throw new InvalidArgumentError(`Dense: mask has ${options.mask.length} values, expected ${inFeatures}×${outFeatures}`);
    this.mask = options.mask ? tf.keep(tf.tensor2d(options.mask, [inFeatures, outFeatures])) : null;
    this.activation = options.activation ?? 'linear';
  }

  /** The effective kernel: W, masked when the layer has a mask. */
  weight(): tf.Tensor2D {
    return (this.mask ? tf.mul(this.kernel, this.mask) : this.kernel) as tf.Tensor2D;
  }

  /** `{kernel, bias}`. */
  params(): Record<string, tf.Variable> {
    return this.bias ? { kernel: this.kernel, bias: this.bias } : { kernel: this.kernel };
  }

  /** Same as `params()`. */
  variables(): Record<string, tf.Variable> {
    return this.params();
  }

  /** Applies the layer with its activation. */
  apply(x: tf.Tensor): tf.Tensor2D {
    return this.forward(x);
  }

  /** Applies the layer with its activation (or `activation` instead); `w` reuses a `weight()` computed earlier. */
  forward(x: tf.Tensor, activation: ActivationSpec = this.activation, w: tf.Tensor2D = this.weight()): tf.Tensor2D {
    if (x.rank !== 2 || x.shape[1] !== this.inFeatures) throw new InvalidArgumentError(`Dense: input must be [n, ${this.inFeatures}], got [${x.shape.join(', ')}]`);
    const name = typeof activation === 'string' ? activation : activation.name;
    const fused: DenseActivation | null = name === 'linear' || name === 'relu' ? name : null;
    const b = (this.bias ?? tf.zeros([this.outFeatures])) as tf.Tensor1D;
    if (fused) return dense(x as tf.Tensor2D, w, b, fused);
    return activate(dense(x as tf.Tensor2D, w, b, 'linear'), activation);
  }

  /** MatMul + Add (+ activation); the weights are stored once per graph however often the layer is emitted. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue, activation: ActivationSpec = this.activation): OnnxValue {
    const w = cachedWeight(g, this.kernel, () => rawComputed(() => this.weight()), 'dense_w');
    const b = this.bias ? cachedWeight(g, this.bias, () => tensorToRaw(this.bias!), 'dense_b') : undefined;
    return g.dense(x, w, b, activation);
  }

  /** [out]. */
  outputShape(input: readonly number[]): number[] {
    if (input.length !== 1 || input[0] !== this.inFeatures) throw new InvalidArgumentError(`Dense: input must be [${this.inFeatures}] per sample, got [${input.join(', ')}]`);
    return [this.outFeatures];
  }

  /** Frees the variables and the mask. */
  dispose(): void {
    this.kernel.dispose();
    this.bias?.dispose();
    this.mask?.dispose();
  }
}

/** Options of `Conv3d` and `ConvTranspose3d` (PyTorch's arguments). */
export interface Conv3dOptions {
  /** Stride per dimension (d, h, w) or one for all; default 1 (Conv3d), 2 (ConvTranspose3d). */
  stride?: number | Triple;
  /** Zero padding on both sides per dimension; default 0. */
  padding?: number | Triple;
  /** Activation after the layer (default linear). */
  activation?: ActivationSpec;
  /** Initialisation (default PyTorch's). */
  init?: Init;
}

/** A convolution layer as ONNX Conv weights (C_out, C_in, kd, kh, kw), bias, begin/end pads and strides. */
export interface Correlation {
  w: RawTensor;
  b: RawTensor;
  pads: number[];
  strides: Triple;
}

/** What Conv3d and ConvTranspose3d share: kernel and bias drawn from `rng`, stride, padding, activation. */
abstract class ConvLayer implements Layer {
  /** Kernel (TF.js layout: [kd, kh, kw, in, out] for Conv3d, [kd, kh, kw, out, in] for ConvTranspose3d). */
  readonly kernel: tf.Variable;
  /** Bias [out]. */
  readonly bias: tf.Variable;
  protected readonly stride: Triple;
  protected readonly padding: Triple;
  protected readonly activation: ActivationSpec;
  protected readonly k: Triple;

  /** Draws the kernel (shape [...k, a, b], bound from `fanIn`), then the bias. */
  protected constructor(kernel: number | Triple, kernelChannels: readonly [number, number], outChannels: number, fanInPerTap: number, rng: Rng, options: Conv3dOptions, defaultStride: number) {
    this.k = triple(kernel);
    this.stride = triple(options.stride ?? defaultStride);
    this.padding = triple(options.padding ?? 0);
    this.activation = options.activation ?? 'linear';
    const bound = initBound(options.init, fanInPerTap * prod(this.k));
    this.kernel = variableOf(uniformValues(rng, prod(this.k) * kernelChannels[0] * kernelChannels[1], bound), [...this.k, ...kernelChannels]);
    this.bias = variableOf(uniformValues(rng, outChannels, bound), [outChannels]);
  }

  /** `{kernel, bias}`. */
  params(): Record<string, tf.Variable> {
    return { kernel: this.kernel, bias: this.bias };
  }

  /** Same as `params()`. */
  variables(): Record<string, tf.Variable> {
    return this.params();
  }

  /** Forward pass. */
  abstract apply(x: tf.Tensor): tf.Tensor5D;
  /** ONNX emission. */
  abstract toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue;
  /** Output shape. */
  abstract outputShape(input: readonly number[]): number[];

  /**
   * The layer as a correlation (ONNX Conv weights (C_out, C_in, kd, kh, kw), begin/end pads ≥ 0,
   * strides), or null where it is not one (a strided transposed convolution, or a crop).
   */
  abstract correlation(): Correlation | null;

  /**
   * The layer applied to a tensor in phase form (see `OnnxGraphBuilder.conv3dFromPhases`), written
   * back to the usual layout; null where it cannot read it. `c`: its `correlation()` where the caller has it.
   */
  toOnnxFromPhases(g: OnnxGraphBuilder, p: PhaseForm, c: Correlation | null = this.correlation()): OnnxValue | null {
    if (!c || c.strides.some((v, d) => v !== 1 && v !== p.strides[d])) return null;
    return g.activation(g.conv3dFromPhases(p, c.w, c.b, c.pads, c.strides), this.activation);
  }

  /** Frees the variables. */
  dispose(): void {
    this.kernel.dispose();
    this.bias.dispose();
  }
}

/** 3-D convolution, input (N, D, H, W, C_in) in TF.js; kernel [kd, kh, kw, C_in, C_out]. */
export class Conv3d extends ConvLayer {
  /** Creates the layer (fan_in = C_in·kd·kh·kw); kernel [kd, kh, kw, in, out] drawn first, then the bias. */
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernel: number | Triple,
    rng: Rng,
    options: Conv3dOptions = {},
  ) {
    super(kernel, [inChannels, outChannels], outChannels, inChannels, rng, options, 1);
  }

  /** Zero padding, then a 'valid' convolution, bias and activation. */
  apply(x: tf.Tensor): tf.Tensor5D {
    if (x.rank !== 5 || x.shape[4] !== this.inChannels) throw new InvalidArgumentError(`Conv3d: input must be [n, d, h, w, ${this.inChannels}], got [${x.shape.join(', ')}]`);
    const [pd, ph, pw] = this.padding;
    const padded = pd || ph || pw ? tf.pad(x as tf.Tensor5D, [[0, 0], [pd, pd], [ph, ph], [pw, pw], [0, 0]]) : (x as tf.Tensor5D);
    const y = tf.add(tf.conv3d(padded, this.kernel as tf.Tensor5D, [...this.stride], 'valid'), this.bias) as tf.Tensor5D;
    return activate(y, this.activation);
  }

  /** ONNX Conv (NCDHW) with symmetric pads. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    const [pd, ph, pw] = this.padding;
    const y = g.conv3d(x, filterToOnnx(this.kernel), tensorToRaw(this.bias), { strides: [...this.stride], pads: [pd, ph, pw, pd, ph, pw] });
    return g.activation(y, this.activation);
  }

  /** Itself. */
  correlation(): Correlation {
    return { w: filterToOnnx(this.kernel), b: tensorToRaw(this.bias), pads: [...this.padding, ...this.padding], strides: this.stride };
  }

  /** [⌊(d + 2p − k)/s⌋ + 1, …, out]. */
  outputShape(input: readonly number[]): number[] {
    if (input.length !== 4 || input[3] !== this.inChannels) throw new InvalidArgumentError(`Conv3d: input must be [d, h, w, ${this.inChannels}] per sample, got [${input.join(', ')}]`);
    return [...[0, 1, 2].map((i) => Math.floor((input[i]! + 2 * this.padding[i]! - this.k[i]!) / this.stride[i]!) + 1), this.outChannels];
  }

}

/** Options of `ConvTranspose3d`: Conv3d's and PyTorch's `output_padding`. */
export interface ConvTranspose3dOptions extends Conv3dOptions {
  /** Extra size on the end side per dimension (PyTorch `output_padding`), < stride; default 0. */
  outputPadding?: number | Triple;
}

/**
 * 3-D transposed convolution, out = (in − 1)·s − 2p + k + output_padding per dimension; kernel
 * [kd, kh, kw, C_out, C_in] (TF.js layout). In ONNX it is written as the exact sub-pixel form
 * (Conv3d with s³·C_out channels + pixel shuffle + slice), which ONNX Runtime runs much faster
 * than its ConvTranspose.
 */
export class ConvTranspose3d extends ConvLayer {
  private readonly outputPadding: Triple;

  /** Creates the layer (fan_in = C_out·kd·kh·kw, as PyTorch computes it for transposed convolutions). */
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernel: number | Triple,
    rng: Rng,
    options: ConvTranspose3dOptions = {},
  ) {
    super(kernel, [outChannels, inChannels], outChannels, outChannels, rng, options, 2);
    this.outputPadding = triple(options.outputPadding ?? 0);
    this.outputPadding.forEach((op, i) => {
      if (!(op >= 0 && op < this.stride[i]!)) throw new InvalidArgumentError(`ConvTranspose3d: output padding must be in [0, stride), got ${op} for stride ${this.stride[i]}`);
    });
  }

  /** A 'valid' transposed convolution to the full size (in − 1)·s + k, then cropped by the padding. */
  apply(x: tf.Tensor): tf.Tensor5D {
    if (x.rank !== 5 || x.shape[4] !== this.inChannels) throw new InvalidArgumentError(`ConvTranspose3d: input must be [n, d, h, w, ${this.inChannels}], got [${x.shape.join(', ')}]`);
    const n = x.shape[0]!;
    const full = [0, 1, 2].map((i) => (x.shape[i + 1]! - 1) * this.stride[i]! + this.k[i]!);
    let y = tf.conv3dTranspose(x as tf.Tensor5D, this.kernel as tf.Tensor5D, [n, full[0]!, full[1]!, full[2]!, this.outChannels], [...this.stride], 'valid');
    const out = this.outputShape(x.shape.slice(1));
    // Crop whenever there is padding: with output padding = 2·padding the size is the full one, but shifted.
    const cropped = [0, 1, 2].some((i) => out[i] !== full[i] || this.padding[i]! > 0);
    if (cropped) {
      // Output padding beyond the full size (only when padding < output padding) is zeros, as in PyTorch.
      const extra = [0, 1, 2].map((i) => Math.max(0, this.padding[i]! + out[i]! - full[i]!));
      if (extra.some((e) => e > 0)) y = tf.pad(y, [[0, 0], [0, extra[0]!], [0, extra[1]!], [0, extra[2]!], [0, 0]]);
      y = tf.slice(y, [0, this.padding[0], this.padding[1], this.padding[2], 0], [n, out[0]!, out[1]!, out[2]!, this.outChannels]);
    }
    return activate(tf.add(y, this.bias) as tf.Tensor5D, this.activation);
  }

  /** The exact sub-pixel form (see `OnnxGraphBuilder.convTranspose3dSubPixel`). */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    const y = g.convTranspose3dSubPixel(x, filterToOnnx(this.kernel), tensorToRaw(this.bias), { stride: this.stride, padding: this.padding, outputPadding: this.outputPadding });
    return g.activation(y, this.activation);
  }

  /** The strides (d, h, w). */
  get strides(): Triple {
    return this.stride;
  }

  /** The sub-pixel form left in phase form, activation applied (see `OnnxGraphBuilder.convTranspose3dPhases`; null where it does not apply). */
  toOnnxPhases(g: OnnxGraphBuilder, x: OnnxValue): PhaseForm | null {
    if (activationName(this.activation) === 'softmax') return null; // over the channels, not per value
    const p = g.convTranspose3dPhases(x, filterToOnnx(this.kernel), tensorToRaw(this.bias), { stride: this.stride, padding: this.padding, outputPadding: this.outputPadding });
    return p ? { ...p, value: g.activation(p.value, this.activation) } : null;
  }

  /**
   * With stride 1, the correlation with the kernel flipped and in/out swapped, padded k − 1 − p
   * on each side (null for a stride above 1 or padding above k − 1).
   */
  correlation(): Correlation | null {
    if (this.stride.some((v) => v !== 1)) return null;
    const pads = [0, 1, 2].map((i) => this.k[i]! - 1 - this.padding[i]!);
    if (pads.some((v) => v < 0)) return null;
    const w = rawComputed(() => tf.transpose(tf.reverse(this.kernel, [0, 1, 2]), [3, 4, 0, 1, 2]));
    return { w, b: tensorToRaw(this.bias), pads: [...pads, ...pads], strides: [1, 1, 1] };
  }

  /** [(d − 1)·s − 2p + k + op, …, out]. */
  outputShape(input: readonly number[]): number[] {
    if (input.length !== 4 || input[3] !== this.inChannels) throw new InvalidArgumentError(`ConvTranspose3d: input must be [d, h, w, ${this.inChannels}] per sample, got [${input.join(', ')}]`);
    return [...[0, 1, 2].map((i) => (input[i]! - 1) * this.stride[i]! - 2 * this.padding[i]! + this.k[i]! + this.outputPadding[i]!), this.outChannels];
  }

}

/** Options of `BatchNorm`. */
export interface BatchNormOptions {
  /** Weight of the batch statistics in the running ones (PyTorch's convention, default 0.1). */
  momentum?: number;
  /** ε added to the variance (default 1e-5). */
  epsilon?: number;
}

/**
 * Batch normalisation over the last (channel) axis, any rank: batch statistics (biased variance)
 * in training, where the running mean and the running unbiased variance move by `momentum`, and
 * the running statistics otherwise, as PyTorch's BatchNorm1d/3d.
 */
export class BatchNorm implements Layer {
  /** Scale γ [C]. */
  readonly gamma: tf.Variable;
  /** Shift β [C]. */
  readonly beta: tf.Variable;
  /** Running mean [C] (not trainable). */
  readonly runningMean: tf.Variable;
  /** Running variance [C] (not trainable). */
  readonly runningVar: tf.Variable;
  private readonly momentum: number;
  private readonly epsilon: number;

  /** Creates γ = 1, β = 0, running mean 0 and variance 1. */
  constructor(
    readonly channels: number,
    options: BatchNormOptions = {},
  ) {
    this.momentum = options.momentum ?? 0.1;
    this.epsilon = options.epsilon ?? 1e-5;
    this.gamma = variableOf(new Float32Array(channels).fill(1), [channels]);
    this.beta = variableOf(new Float32Array(channels), [channels]);
    this.runningMean = variableOf(new Float32Array(channels), [channels], false);
    this.runningVar = variableOf(new Float32Array(channels).fill(1), [channels], false);
  }

  /** `{gamma, beta}`. */
  params(): Record<string, tf.Variable> {
    return { gamma: this.gamma, beta: this.beta };
  }

  /** γ, β and the running statistics. */
  variables(): Record<string, tf.Variable> {
    return { ...this.params(), runningMean: this.runningMean, runningVar: this.runningVar };
  }

  /** Normalises x [..., C]. */
  apply(x: tf.Tensor, training = false): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.channels) throw new InvalidArgumentError(`BatchNorm: the last axis must have ${this.channels} channels, got [${x.shape.join(', ')}]`);
    if (!training) return tf.batchNorm(x, this.runningMean, this.runningVar, this.beta, this.gamma, this.epsilon);
    const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
    const { mean, variance } = tf.moments(x, axes);
    const m = x.size / this.channels;
    tf.tidy(() => {
      // Assignments are not differentiated: the running statistics stay off the gradient.
      const unbiased = tf.mul(variance, m / Math.max(1, m - 1));
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - this.momentum), tf.mul(mean, this.momentum)));
      this.runningVar.assign(tf.add(tf.mul(this.runningVar, 1 - this.momentum), tf.mul(unbiased, this.momentum)));
    });
    return tf.batchNorm(x, mean, variance, this.beta, this.gamma, this.epsilon);
  }

  /** ONNX BatchNormalization (inference form) on the channel axis 1. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    const r = (v: tf.Variable) => tensorToRaw(v);
    if (x.shape?.length === 2 || x.shape?.length === 5) return g.batchNormalization(x, r(this.gamma), r(this.beta), r(this.runningMean), r(this.runningVar), this.epsilon);
    throw new InvalidArgumentError(`BatchNorm.toOnnx: inputs of rank 2 or 5, got rank ${x.shape?.length ?? 'unknown'}`);
  }

  /** Unchanged. */
  outputShape(input: readonly number[]): number[] {
    return [...input];
  }

  /** Frees the variables. */
  dispose(): void {
    Object.values(this.variables()).forEach((v) => v.dispose());
  }
}

/**
 * (v − mean)/√(var + ε) over axis 1 of a rank-2 or rank-3 view (biased variance): LayerNorm's and
 * InstanceNorm's statistics. On the view because the gradient of a mean over a rank-5 tensor holds
 * a rank-5 Tile that tfjs cannot differentiate again; a division by a square root because
 * TensorFlow's vectorised rsqrt is not correctly rounded (a sample's values then depended on its
 * position in the batch).
 */
function standardisedRows(view: tf.Tensor, epsilon: number): tf.Tensor {
  const { mean, variance } = tf.moments(view, 1, true);
  return tf.div(tf.sub(view, mean), tf.sqrt(tf.add(variance, epsilon)));
}

/** Options of `LayerNorm`. */
export interface LayerNormOptions {
  /** ε added to the variance (default 1e-5). */
  epsilon?: number;
  /**
   * Rank 5 only: normalise each channel of a sample over (d, h, w) alone, with γ and β of shape
   * [d, h, w] shared by the channels: PyTorch's `nn.LayerNorm([D, H, W])` on an (N, C, D, H, W)
   * input, as the DESY WGAN and BIB-AE code use it (field-reference.md §4.1, §4.4). Default false.
   */
  perChannel?: boolean;
}

/**
 * Layer normalisation of each sample over all its features (PyTorch's LayerNorm with
 * normalized_shape = the per-sample shape), with an elementwise scale and shift of that shape;
 * or, with `perChannel`, of each channel over its (d, h, w) values. `shape` is the per-sample
 * shape in TF.js layout ([features] or [d, h, w, C]).
 */
export class LayerNorm implements Layer {
  /** Scale [shape] (TF.js layout), or [d, h, w, 1] with `perChannel`. */
  readonly gamma: tf.Variable;
  /** Shift, shaped as `gamma`. */
  readonly beta: tf.Variable;
  private readonly epsilon: number;
  /** Whether the statistics are per channel (over d, h, w). */
  readonly perChannel: boolean;

  /** Creates γ = 1, β = 0. */
  constructor(
    readonly shape: readonly number[],
    options: LayerNormOptions = {},
  ) {
    if (shape.length !== 1 && shape.length !== 4) throw new InvalidArgumentError(`LayerNorm: per-sample shape must be [features] or [d, h, w, channels], got [${shape.join(', ')}]`);
    this.perChannel = options.perChannel ?? false;
    if (this.perChannel && shape.length !== 4) throw new InvalidArgumentError(`LayerNorm: perChannel needs a per-sample shape [d, h, w, channels], got [${shape.join(', ')}]`);
    this.epsilon = options.epsilon ?? 1e-5;
    const affine = this.perChannel ? [shape[0]!, shape[1]!, shape[2]!, 1] : shape;
    this.gamma = variableOf(new Float32Array(prod(affine)).fill(1), affine);
    this.beta = variableOf(new Float32Array(prod(affine)), affine);
  }

  /** `{gamma, beta}`. */
  params(): Record<string, tf.Variable> {
    return { gamma: this.gamma, beta: this.beta };
  }

  /** Same as `params()`. */
  variables(): Record<string, tf.Variable> {
    return this.params();
  }

  /**
   * (x − mean)/√(var + ε)·γ + β per sample (per sample and channel with `perChannel`), the
   * statistics on a [n, features] or [n, d·h·w, C] view (`standardisedRows`: differentiable twice,
   * for a critic's gradient penalty, and the same bytes for a sample in any batch).
   */
  apply(x: tf.Tensor): tf.Tensor {
    if (x.shape.slice(1).join() !== this.shape.join()) throw new InvalidArgumentError(`LayerNorm: input must be [n, ${this.shape.join(', ')}], got [${x.shape.join(', ')}]`);
    const n = x.shape[0]!;
    const view = this.perChannel ? [n, prod(this.shape.slice(0, 3)), this.shape[3]!] : [n, prod(this.shape)];
    const normed = tf.reshape(standardisedRows(tf.reshape(x, view), this.epsilon), x.shape);
    return tf.add(tf.mul(normed, this.gamma), this.beta);
  }

  /**
   * ONNX LayerNormalization over axes 1… with γ and β transposed to (C, D, H, W) for rank 5, or
   * over axes 2… (D, H, W) with γ and β of shape (D, H, W) with `perChannel`.
   */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    if (this.perChannel) {
      const dhw = (v: tf.Variable): RawTensor => rawComputed(() => tf.reshape(v, this.shape.slice(0, 3) as number[]));
      return g.layerNormalization(x, dhw(this.gamma), dhw(this.beta), { axis: 2, epsilon: this.epsilon });
    }
    const chw = (v: tf.Variable): RawTensor => (this.shape.length === 4 ? rawComputed(() => tf.transpose(v, [3, 0, 1, 2])) : tensorToRaw(v));
    return g.layerNormalization(x, chw(this.gamma), chw(this.beta), { axis: 1, epsilon: this.epsilon });
  }

  /** The per-channel normalisation of a tensor in phase form (null without `perChannel`). */
  toOnnxPhases(g: OnnxGraphBuilder, p: PhaseForm): PhaseForm | null {
    if (!this.perChannel) return null;
    return g.layerNormalizationPhases(p, tensorToRaw(this.gamma), tensorToRaw(this.beta), this.epsilon);
  }

  /** Unchanged. */
  outputShape(input: readonly number[]): number[] {
    return [...input];
  }

  /** Frees the variables. */
  dispose(): void {
    this.gamma.dispose();
    this.beta.dispose();
  }
}

/** Options of `InstanceNorm`. */
export interface InstanceNormOptions {
  /** ε added to the variance (default 1e-5). */
  epsilon?: number;
  /** A learned scale and shift per channel (default false, as PyTorch's `nn.InstanceNorm3d`). */
  affine?: boolean;
}

/**
 * Instance normalisation of rank-5 values [n, d, h, w, C]: each channel of each sample normalised
 * over its (d, h, w) cells (biased variance), as PyTorch's `nn.InstanceNorm3d` with its defaults
 * (no running statistics; with `affine`, γ and β per channel). Per sample, so a critic with it
 * keeps the gradient penalty's per-shower meaning; differentiable twice (statistics on a rank-3
 * view, as `LayerNorm`).
 */
export class InstanceNorm implements Layer {
  /** Scale [C] with `affine`, else null. */
  readonly gamma: tf.Variable | null;
  /** Shift [C] with `affine`, else null. */
  readonly beta: tf.Variable | null;
  private readonly epsilon: number;

  /** Creates the layer for `channels` channels (γ = 1, β = 0 with `affine`). */
  constructor(
    readonly channels: number,
    options: InstanceNormOptions = {},
  ) {
    if (!(Number.isInteger(channels) && channels >= 1)) throw new InvalidArgumentError(`InstanceNorm: channels must be a positive integer, got ${channels}`);
    this.epsilon = options.epsilon ?? 1e-5;
    this.gamma = options.affine ? variableOf(new Float32Array(channels).fill(1), [channels]) : null;
    this.beta = options.affine ? variableOf(new Float32Array(channels), [channels]) : null;
  }

  /** `{gamma, beta}` with `affine`, else none. */
  params(): Record<string, tf.Variable> {
    return this.gamma && this.beta ? { gamma: this.gamma, beta: this.beta } : {};
  }

  /** Same as `params()`. */
  variables(): Record<string, tf.Variable> {
    return this.params();
  }

  /** (x − mean)/√(var + ε) per sample and channel over (d, h, w), then γ, β. */
  apply(x: tf.Tensor): tf.Tensor {
    if (x.rank !== 5 || x.shape[4] !== this.channels) throw new InvalidArgumentError(`InstanceNorm: input must be [n, d, h, w, ${this.channels}], got [${x.shape.join(', ')}]`);
    const [n, d, h, w] = x.shape as number[];
    const normed = tf.reshape(standardisedRows(tf.reshape(x, [n!, d! * h! * w!, this.channels]), this.epsilon), x.shape);
    return this.gamma && this.beta ? tf.add(tf.mul(normed, this.gamma), this.beta) : normed;
  }

  /** ONNX InstanceNormalization (scale 1 and shift 0 without `affine`). */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    const raw = (v: tf.Variable | null, fill: number): RawTensor => (v ? tensorToRaw(v) : { data: new Float32Array(this.channels).fill(fill), shape: [this.channels] });
    return g.instanceNormalization(x, raw(this.gamma, 1), raw(this.beta, 0), this.epsilon);
  }

  /** Unchanged. */
  outputShape(input: readonly number[]): number[] {
    if (input.length !== 4 || input[3] !== this.channels) throw new InvalidArgumentError(`InstanceNorm: input must be [d, h, w, ${this.channels}] per sample, got [${input.join(', ')}]`);
    return [...input];
  }

  /** Frees the variables. */
  dispose(): void {
    this.gamma?.dispose();
    this.beta?.dispose();
  }
}

/** Options of `MaxPool3d`. */
export interface MaxPool3dOptions {
  /** Stride per axis (default: the kernel size, as PyTorch). */
  stride?: number | Triple;
  /** Padding per axis, at most half the kernel (padded cells never win, as PyTorch). */
  padding?: number | Triple;
}

/** The lowest float32: what padded cells hold, so that they never win a maximum. */
const LOWEST = -3.4028234663852886e38;

/** max(a, b) whose gradient is dy times a mask fixed in the forward pass, so its gradient is differentiable again (tfjs has no gradient for Less). */
const maximumTwice = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  const m = tf.cast(tf.greaterEqual(a, b), 'float32');
  save([m]);
  return { value: tf.maximum(a, b), gradFunc: (dy: tf.Tensor, [mask]: tf.Tensor[]) => [tf.mul(dy, mask!), tf.mul(dy, tf.sub(1, mask!))] };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/**
 * 3-D max pooling of [n, d, h, w, C], PyTorch's `nn.MaxPool3d(kernel, stride, padding)`. Written
 * as a maximum over shifted slices, one axis at a time (a box maximum is separable), with a
 * gradient that is differentiable again, so a critic with it takes the gradient penalty (tfjs's
 * MaxPool3D gradient has no gradient of its own). Also the faster form on native TensorFlow: a
 * ResNet-critic step with the penalty took 3.1 s this way and 4.5 s with TensorFlow's MaxPool3D and
 * a registered MaxPool3DGradGrad, whose MaxPool3DGrad alone took 1.3 s (batch 10, 2 threads).
 */
export class MaxPool3d implements Layer {
  private readonly k: Triple;
  private readonly stride: Triple;
  private readonly padding: Triple;

  /** Creates the layer; padding must be at most half the kernel on every axis. */
  constructor(kernel: number | Triple, options: MaxPool3dOptions = {}) {
    this.k = triple(kernel);
    this.stride = triple(options.stride ?? kernel);
    this.padding = triple(options.padding ?? 0);
    for (let i = 0; i < 3; i++) {
      if (!(this.k[i]! >= 1 && this.stride[i]! >= 1)) throw new InvalidArgumentError(`MaxPool3d: kernel and stride must be ≥ 1, got kernel ${this.k[i]} and stride ${this.stride[i]} on axis ${i}`);
      if (!(this.padding[i]! >= 0 && 2 * this.padding[i]! <= this.k[i]!)) throw new InvalidArgumentError(`MaxPool3d: padding must be in [0, kernel/2], got ${this.padding[i]} for kernel ${this.k[i]} on axis ${i}`);
    }
  }

  /** None. */
  params(): Record<string, tf.Variable> {
    return {};
  }

  /** None. */
  variables(): Record<string, tf.Variable> {
    return {};
  }

  /** The pooled values [n, d', h', w', C]. */
  apply(x: tf.Tensor): tf.Tensor5D {
    if (x.rank !== 5) throw new InvalidArgumentError(`MaxPool3d: input must be [n, d, h, w, C], got [${x.shape.join(', ')}]`);
    let h = x;
    for (let axis = 0; axis < 3; axis++) h = this.poolAxis(h, axis);
    return h as tf.Tensor5D;
  }

  /** The maximum over one spatial axis (1 + `axis` of the tensor) with this axis's kernel, stride and padding. */
  private poolAxis(x: tf.Tensor, axis: number): tf.Tensor {
    const k = this.k[axis]!, s = this.stride[axis]!, p = this.padding[axis]!;
    if (k === 1 && s === 1) return x;
    const dim = axis + 1;
    const len = x.shape[dim]! + 2 * p;
    const out = Math.floor((len - k) / s) + 1;
    // Every tap t reads out·s cells from t on; pad the end so the last tap's read fits.
    const extra = Math.max(0, k - 1 + out * s - len);
    const pads = x.shape.map((_, i) => (i === dim ? [p, p + extra] : [0, 0])) as [number, number][];
    const padded = p + extra > 0 ? tf.pad(x, pads, LOWEST) : x;
    const taps: tf.Tensor[] = [];
    for (let t = 0; t < k; t++) {
      const begin = x.shape.map((_, i) => (i === dim ? t : 0));
      const size = x.shape.map((n, i) => (i === dim ? out * s : n));
      let tap = tf.slice(padded, begin, size);
      if (s > 1) {
        // Every s-th cell: split the axis into (out, s) and keep offset 0.
        const split = [...x.shape.slice(0, dim), out, s, ...x.shape.slice(dim + 1)];
        const keep = split.map((n, i) => (i === dim + 1 ? 1 : n));
        tap = tf.reshape(tf.slice(tf.reshape(tap, split), split.map(() => 0), keep), size.map((n, i) => (i === dim ? out : n)));
      }
      taps.push(tap);
    }
    return taps.reduce((a, b) => maximumTwice(a, b));
  }

  /** ONNX MaxPool (NCDHW) with symmetric pads. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    const [pd, ph, pw] = this.padding;
    return g.maxPool(x, [...this.k], { strides: [...this.stride], pads: [pd, ph, pw, pd, ph, pw] });
  }

  /** [⌊(d + 2p − k)/s⌋ + 1, …, C]. */
  outputShape(input: readonly number[]): number[] {
    if (input.length !== 4) throw new InvalidArgumentError(`MaxPool3d: input must be [d, h, w, C] per sample, got [${input.join(', ')}]`);
    return [...[0, 1, 2].map((i) => Math.floor((input[i]! + 2 * this.padding[i]! - this.k[i]!) / this.stride[i]!) + 1), input[3]!];
  }

  /** Nothing to free. */
  dispose(): void {}
}

/** The name of an activation spec. */
const activationName = (spec: ActivationSpec): string => (typeof spec === 'string' ? spec : spec.name);

/** An activation as a layer. */
export class Activation implements Layer {
  /** Creates the layer. */
  constructor(readonly spec: ActivationSpec) {}
  /** None. */
  params(): Record<string, tf.Variable> {
    return {};
  }
  /** None. */
  variables(): Record<string, tf.Variable> {
    return {};
  }
  /** act(x). */
  apply(x: tf.Tensor): tf.Tensor {
    return activate(x, this.spec);
  }
  /** The ONNX op of the activation. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    return g.activation(x, this.spec);
  }
  /** Unchanged. */
  outputShape(input: readonly number[]): number[] {
    return [...input];
  }
  /** Nothing to free. */
  dispose(): void {}
}

/**
 * Reshapes each sample to `shape` (TF.js layout, row-major), e.g. [features] → [d, h, w, C] or
 * back. In ONNX a rank-5 result is transposed to channels-first and a rank-5 input to
 * channels-last first, so the flat order is the TF.js one on both runtimes.
 */
export class Reshape implements Layer {
  /** Creates the layer for a per-sample target shape. */
  constructor(readonly shape: readonly number[]) {}
  /** None. */
  params(): Record<string, tf.Variable> {
    return {};
  }
  /** None. */
  variables(): Record<string, tf.Variable> {
    return {};
  }
  /** tf.reshape to [n, ...shape]. */
  apply(x: tf.Tensor): tf.Tensor {
    if (prod(x.shape.slice(1)) !== prod(this.shape)) throw new InvalidArgumentError(`Reshape: cannot reshape [${x.shape.slice(1).join(', ')}] per sample to [${this.shape.join(', ')}]`);
    return tf.reshape(x, [x.shape[0]!, ...this.shape]);
  }
  /** Reshape with the layout moves described above. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    const h = x.shape?.length === 5 ? g.transpose(x, [0, 2, 3, 4, 1]) : x;
    const y = g.reshape(h, [-1, ...this.shape]);
    return this.shape.length === 4 ? g.transpose(y, [0, 4, 1, 2, 3]) : y;
  }
  /** The target shape. */
  outputShape(input: readonly number[]): number[] {
    if (prod(input) !== prod(this.shape)) throw new InvalidArgumentError(`Reshape: cannot reshape [${input.join(', ')}] per sample to [${this.shape.join(', ')}]`);
    return [...this.shape];
  }
  /** Nothing to free. */
  dispose(): void {}
}

/** A chain of layers; parameter names are `<index>.<name>` (or `<key>.<name>` for named layers). */
export class Sequential implements Layer {
  private readonly entries: [string, Layer][];

  /** Creates the chain from layers (named by position) or from [name, layer] pairs. */
  constructor(layers: readonly (Layer | readonly [string, Layer])[]) {
    this.entries = layers.map((l, i) => (Array.isArray(l) ? [l[0], l[1]] : [String(i), l as Layer]) as [string, Layer]);
  }

  /** The layers in order. */
  get layers(): Layer[] {
    return this.entries.map(([, l]) => l);
  }

  /** Trainable variables of every layer. */
  params(): Record<string, tf.Variable> {
    return Object.assign({}, ...this.entries.map(([k, l]) => prefixed(k, l.params())));
  }

  /** Every variable of every layer. */
  variables(): Record<string, tf.Variable> {
    return Object.assign({}, ...this.entries.map(([k, l]) => prefixed(k, l.variables())));
  }

  /** Applies the layers in turn. */
  apply(x: tf.Tensor, training = false): tf.Tensor {
    let h = x;
    for (const [, l] of this.entries) h = l.apply(h, training);
    return h;
  }

  /**
   * Emits the layers in turn. A strided ConvTranspose3d followed by per-channel LayerNorms and
   * per-value activations and then a convolution that steps by its strides, or a stride-1 one
   * into fewer channels than it has phases, is emitted without its pixel shuffle: the
   * convolution reads the phases (`OnnxGraphBuilder.conv3dFromPhases`; the same values).
   */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    let h = x;
    for (let i = 0; i < this.entries.length; ) {
      const fused = this.phaseRun(g, h, i);
      if (fused) {
        [h, i] = fused;
        continue;
      }
      h = this.entries[i]![1].toOnnx(g, h);
      i++;
    }
    return h;
  }

  /** Entries i … j emitted through the phase form, and j + 1; null where entry i does not start such a run. */
  private phaseRun(g: OnnxGraphBuilder, x: OnnxValue, i: number): [OnnxValue, number] | null {
    const first = this.entries[i]![1];
    if (!(first instanceof ConvTranspose3d)) return null;
    let j = i + 1;
    // Between them only what acts per value (every activation but the softmax over channels) or per channel over (d, h, w).
    const between = (l: Layer): boolean => (l instanceof Activation && activationName(l.spec) !== 'softmax') || l instanceof LayerNorm;
    while (j < this.entries.length && between(this.entries[j]![1])) j++;
    const last = this.entries[j]?.[1];
    if (!(last instanceof Conv3d || last instanceof ConvTranspose3d)) return null;
    const c = last.correlation();
    if (!c || c.strides.some((v, d) => v !== 1 && v !== first.strides[d])) return null;
    // A convolution stepping by the stage's strides reads its phases with the direct form's
    // products and needs no shuffle. One with stride 1 only into fewer channels than phases (the
    // photon generator's 32 → 1 after a stride-2 stage: 8 phases, 1.18× faster in ONNX Runtime);
    // the pion generator's stride-(2, 1, 1) stage into a 10-channel convolution ran 0.86× as fast so.
    const steps = c.strides.every((v, d) => v === first.strides[d]);
    if (!steps && last.outChannels >= prod(first.strides)) return null;
    if (this.entries.slice(i + 1, j).some(([, l]) => l instanceof LayerNorm && !l.perChannel)) return null;
    let p = first.toOnnxPhases(g, x);
    if (!p) return null;
    for (const [, l] of this.entries.slice(i + 1, j)) p = l instanceof LayerNorm ? l.toOnnxPhases(g, p)! : { ...p, value: l.toOnnx(g, p.value) };
    return [last.toOnnxFromPhases(g, p, c)!, j + 1];
  }

  /** Shape after every layer. */
  outputShape(input: readonly number[]): number[] {
    let s = [...input];
    for (const [, l] of this.entries) s = l.outputShape(s);
    return s;
  }

  /** Frees every layer. */
  dispose(): void {
    for (const [, l] of this.entries) l.dispose();
  }
}
