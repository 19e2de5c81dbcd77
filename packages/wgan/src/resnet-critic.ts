/**
 * The critic of the DESY pion WGAN (field-reference.md §4.5; neurIPS2021_hadron
 * `WGAN/models/criticRes.py`, built there as `generate_model(34)`): a 3-D ResNet with instance
 * normalisation in place of batch normalisation (per shower, so the gradient penalty keeps its
 * meaning), of which the stem and the first two stages of ResNet-34 are used:
 *
 * - stem: Conv3d 1→2·ndf, k(4,5,5), s(1,2,2), p(2,3,3) · InstanceNorm · ReLU · MaxPool3d k3 s2 p1;
 * - stage 1: 3 basic blocks at 2·ndf channels; stage 2: 4 basic blocks at 4·ndf, the first with
 *   stride 2 and a 1×1×1 convolution + InstanceNorm on its shortcut (PyTorch's shortcut type B);
 * - global average pool ⊕ E → Linear (4·ndf + 1) → 1.
 *
 * ndf = 32 gives the published 64 and 128 channels (48×25×25 → (49,14,14) → (25,7,7) → (13,4,4)).
 * Convolutions have no bias (core's zero bias, never trained); InstanceNorm has no affine part (the
 * PyTorch default the published code keeps). Initialisation as published for this network: conv
 * weights Kaiming-normal with fan-out and the ReLU gain, N(0, 2/(C_out·k³)); the linear layer
 * PyTorch's default U(±1/√fan_in) (the published code does not apply its N(0, 0.02) `weights_init`
 * to this critic).
 */
import {
  Activation, Conv3d, Dense, InstanceNorm, MaxPool3d, Reshape, Sequential, prefixed, tf,
  type Layer, type OnnxGraphBuilder, type OnnxValue, type Rng, type Triple,
} from '@calozoo/core';
import { kaimingInit } from './init.js';
import { NetParts, criticHeadInput, type CriticNet } from './networks.js';

/** The published stage sizes: (blocks, channels as a multiple of ndf, stride of the first block). */
const STAGES: readonly [number, number, number][] = [
  [3, 2, 1],
  [4, 4, 2],
];

/**
 * A ResNet basic block: conv 3³ (stride s) · IN · ReLU · conv 3³ · IN, plus the shortcut (the
 * input, or a 1×1×1 convolution with stride s + IN when the stride or the channels change), then
 * ReLU.
 */
export class BasicBlock3d implements Layer {
  private readonly main: Sequential;
  private readonly shortcut: Sequential | null;

  /** Builds the block from `inChannels` to `outChannels` with `stride` on the first convolution. */
  constructor(readonly inChannels: number, readonly outChannels: number, stride: number | Triple, rng: Rng) {
    this.main = new Sequential([
      ['conv1', new Conv3d(inChannels, outChannels, 3, rng, { stride, padding: 1 })],
      ['in1', new InstanceNorm(outChannels)],
      ['relu1', new Activation('relu')],
      ['conv2', new Conv3d(outChannels, outChannels, 3, rng, { padding: 1 })],
      ['in2', new InstanceNorm(outChannels)],
    ]);
    const strided = (typeof stride === 'number' ? [stride] : stride).some((s) => s !== 1);
    this.shortcut = strided || inChannels !== outChannels
      ? new Sequential([['conv', new Conv3d(inChannels, outChannels, 1, rng, { stride })], ['in', new InstanceNorm(outChannels)]])
      : null;
  }

  /** The block's own layers (for initialisation and the frozen biases). */
  sublayers(): Layer[] {
    return [this.main, ...(this.shortcut ? [this.shortcut] : [])];
  }

  /** `main.*` and `shortcut.*` parameters. */
  params(): Record<string, tf.Variable> {
    return { ...prefixed('main', this.main.params()), ...(this.shortcut ? prefixed('shortcut', this.shortcut.params()) : {}) };
  }

  /** Same as `params()` (no running statistics). */
  variables(): Record<string, tf.Variable> {
    return this.params();
  }

  /** ReLU(main(x) + shortcut(x)). */
  apply(x: tf.Tensor): tf.Tensor {
    return tf.relu(tf.add(this.main.apply(x), this.shortcut ? this.shortcut.apply(x) : x));
  }

  /** The same in ONNX. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    return g.relu(g.add(this.main.toOnnx(g, x), this.shortcut ? this.shortcut.toOnnx(g, x) : x));
  }

  /** The main path's output shape. */
  outputShape(input: readonly number[]): number[] {
    return this.main.outputShape(input);
  }

  /** Frees the variables. */
  dispose(): void {
    this.main.dispose();
    this.shortcut?.dispose();
  }
}

/** The §4.5 ResNet critic on a [d, h, w] grid (see the file comment); the condition and any appended features join after the pooling. */
export class ResNetCritic extends NetParts implements CriticNet {
  private readonly voxels: number;
  private readonly width: number;

  /**
   * Builds the critic for grid `shape` [d, h, w] and ndf (32 published). With `features` > 0 its
   * input is [x ⊕ f] as `ConvCritic`'s, and f joins the pooled features beside E.
   */
  constructor(shape: readonly [number, number, number], ndf: number, rng: Rng, private readonly features = 0) {
    const c0 = STAGES[0]![1] * ndf;
    const stem = new Sequential([
      ['grid', new Reshape([...shape, 1])],
      ['conv', new Conv3d(1, c0, [4, 5, 5], rng, { stride: [1, 2, 2], padding: [2, 3, 3] })],
      ['in', new InstanceNorm(c0)],
      ['relu', new Activation('relu')],
      ['pool', new MaxPool3d(3, { stride: 2, padding: 1 })],
    ]);
    const blocks: [string, Layer][] = [];
    let channels = c0;
    STAGES.forEach(([count, mult, stride], s) => {
      for (let b = 0; b < count; b++) {
        blocks.push([`s${s + 1}b${b}`, new BasicBlock3d(channels, mult * ndf, b === 0 ? stride : 1, rng)]);
        channels = mult * ndf;
      }
    });
    super({ stem, blocks: new Sequential(blocks), head: new Dense(channels + features + 1, 1, rng) });
    this.voxels = shape[0] * shape[1] * shape[2];
    this.width = channels;
  }

  /** The pooled features [n, 4·ndf] of the cells x [n, voxels]. */
  private pooled(x: tf.Tensor2D): tf.Tensor2D {
    const { stem, blocks } = this.parts;
    const h = blocks!.apply(stem!.apply(x));
    const [n, d, hh, w] = h.shape as number[];
    // The mean over a rank-3 view: tfjs cannot differentiate a rank-5 mean's gradient again.
    return tf.mean(tf.reshape(h, [n!, d! * hh! * w!, this.width]), 1) as tf.Tensor2D;
  }

  /** Score [n, 1] of x [n, voxels (+ features)]. */
  apply(x: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
    return this.parts['head']!.apply(criticHeadInput(x, c, this.voxels, this.features, (cells) => this.pooled(cells))) as tf.Tensor2D;
  }

  /** The published initialisation of this critic (file comment), drawn from `rng` in layer order. */
  override initialise(rng: Rng): void {
    kaimingInit(this.layers(), rng);
  }
}
