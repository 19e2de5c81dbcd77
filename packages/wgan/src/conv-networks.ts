/**
 * The published 3-D convolutional networks of the DESY WGANs, layer by layer from
 * field-reference.md §4.4 (ILD photons, 30×30×30; getting_high `WGAN/models/dcgan3D.py`,
 * `constrainer3D.py`) and §4.5 (ILD pions, 48×25×25; neurIPS2021_hadron `WGAN/models/generator.py`).
 * Arguments are PyTorch's; every LayerNorm normalises each channel over (d, h, w) as the published
 * `nn.LayerNorm([D, H, W])` does (core's `LayerNorm` with `perChannel`).
 *
 * The published pion critic, a 3-D ResNet, is `ResNetCritic` (resnet-critic.ts); `ConvCritic` also
 * runs on the 48×25×25 input (`conv.critic: 'dcgan'`: conv stack → (28, 2, 2) → 112 features).
 * Deviation on the 48×25×25 grid: the published constrainer there is a pre-trained, frozen
 * 30 000→5000→1000→100→1 MLP; here it is the 30³ constrainer's layer list on the 48×25×25 input
 * (→ (10, 4, 4) × 16 → 2560 features), trained alongside the critic.
 */
import {
  Activation, Conv3d, ConvTranspose3d, Dense, LayerNorm, Reshape, Sequential, tf,
  type ActivationSpec, type Layer, type OnnxGraphBuilder, type OnnxValue, type Rng, type Triple,
} from '@calozoo/core';
import { NetParts, criticHeadInput, type ConstrainerNet, type CriticNet, type GeneratorNet } from './networks.js';

/** Leaky ReLU of the critic and constrainer (slope 0.2, twice differentiable for the gradient penalty). */
export const LEAKY: ActivationSpec = { name: 'leakyRelu', alpha: 0.2 };

/** One transposed convolution of a generator's upsampling stack (PyTorch arguments). */
export interface UpSpec {
  out: number;
  /** Kernel size, one number for all three axes or one per axis. */
  kernel: number | Triple;
  /** Stride, as `kernel`. */
  stride: number | Triple;
  /** Padding, as `kernel`. */
  padding: number | Triple;
}

/** The upsampling stacks after the 4³ stem: §4.4 for the 30³ grid and §4.5 for 48×25×25 (ngf = 32 published). */
export function upSpecs(layout: 'ild-30' | 'ild-48', ngf: number): UpSpec[] {
  if (layout === 'ild-30') {
    return [
      { out: 4 * ngf, kernel: 4, stride: 2, padding: 1 },
      { out: 2 * ngf, kernel: 4, stride: 2, padding: 1 },
      { out: ngf, kernel: 4, stride: 2, padding: 1 },
      { out: 1, kernel: 3, stride: 1, padding: 2 },
    ];
  }
  return [
    { out: 4 * ngf, kernel: [4, 2, 2], stride: 2, padding: 1 },
    { out: 2 * ngf, kernel: [4, 2, 2], stride: 2, padding: 1 },
    { out: ngf, kernel: 4, stride: [2, 1, 1], padding: 1 },
    { out: 10, kernel: [10, 4, 4], stride: 1, padding: 1 },
    { out: 5, kernel: [8, 3, 3], stride: [1, 2, 2], padding: 1 },
    { out: 1, kernel: [7, 5, 5], stride: 1, padding: 1 },
  ];
}

/** ConvT layers with LayerNorm + ReLU between them and a final ReLU, from `input` [d, h, w, C]. */
function upStack(input: number[], specs: readonly UpSpec[], rng: Rng): Sequential {
  const layers: [string, Layer][] = [];
  let shape = input;
  specs.forEach((s, i) => {
    const last = i === specs.length - 1;
    const conv = new ConvTranspose3d(shape[3]!, s.out, s.kernel, rng, { stride: s.stride, padding: s.padding, activation: last ? 'relu' : 'linear' });
    layers.push([`up${i}`, conv]);
    shape = conv.outputShape(shape);
    if (!last) {
      layers.push([`ln${i}`, new LayerNorm(shape, { perChannel: true })]);
      layers.push([`relu${i}`, new Activation('relu')]);
    }
  });
  return new Sequential(layers);
}

/**
 * The two-stem generator (§4.4, §4.5): E → ConvT 1→4·ngf, k4 → 4³ and z → ConvT latent→4·ngf,
 * k4 → 4³, concatenated (energy first) into 8·ngf channels, then the upsampling stack.
 */
export class ConvGenerator extends NetParts implements GeneratorNet {
  /** Builds the generator for a layout, the noise size and ngf. */
  constructor(readonly layout: 'ild-30' | 'ild-48', latentDim: number, ngf: number, rng: Rng) {
    const stem = (inCh: number): Sequential => new Sequential([['grid', new Reshape([1, 1, 1, inCh])], ['up', new ConvTranspose3d(inCh, 4 * ngf, 4, rng, { stride: 1 })]]);
    const energy = stem(1);
    const noise = stem(latentDim);
    const body = upStack([4, 4, 4, 8 * ngf], upSpecs(layout, ngf), rng);
    const out = body.outputShape([4, 4, 4, 8 * ngf]);
    super({ energy, noise, body, flat: new Reshape([out[0]! * out[1]! * out[2]!]) });
  }

  /** Network values [n, d·h·w] (MeV for this variant). */
  apply(z: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
    const { energy, noise, body, flat } = this.parts;
    const h = tf.concat([energy!.apply(c) as tf.Tensor5D, noise!.apply(z) as tf.Tensor5D], 4);
    return flat!.apply(body!.apply(h)) as tf.Tensor2D;
  }

  /** The same graph in ONNX (channels first, so the concatenation is on axis 1). */
  toOnnx(g: OnnxGraphBuilder, z: OnnxValue, c: OnnxValue): OnnxValue {
    const { energy, noise, body, flat } = this.parts;
    const h = g.concat([energy!.toOnnx(g, c), noise!.toOnnx(g, z)], 1);
    return flat!.toOnnx(g, body!.toOnnx(g, h));
  }
}

/**
 * The critic of §4.4 on a [d, h, w] grid: Conv3d 1→ndf k(10,2,2) s(1,2,2) p(0,1,1) · ndf→2ndf
 * k(6,2,2) s(1,2,2) · 2ndf→4ndf k(4,2,2) s(1,2,2) (LayerNorm + LeakyReLU 0.2 after each) · 4ndf→1
 * k(4,2,2) → flatten ⊕ E → Linear →100→200→100→75→1 (LeakyReLU 0.2 between).
 */
export class ConvCritic extends NetParts implements CriticNet {
  private readonly voxels: number;

  /**
   * Builds the critic for grid `shape` [d, h, w] and ndf. With `features` > 0 its input is
   * [x ⊕ f], f the physics features training appends to the voxels (core's
   * `train/critic-features.ts`, `conv.criticFeatures`), which join the flattened convolution
   * output beside E: the head is then Linear (flat + features + 1) → 100 ….
   */
  constructor(shape: readonly [number, number, number], ndf: number, rng: Rng, private readonly features = 0) {
    const layers: [string, Layer][] = [['grid', new Reshape([...shape, 1])]];
    let s: number[] = [...shape, 1];
    const convs: [number, number, number | Triple, number | Triple, number | Triple][] = [
      [1, ndf, [10, 2, 2], [1, 2, 2], [0, 1, 1]],
      [ndf, 2 * ndf, [6, 2, 2], [1, 2, 2], 0],
      [2 * ndf, 4 * ndf, [4, 2, 2], [1, 2, 2], 0],
      [4 * ndf, 1, [4, 2, 2], 1, 0],
    ];
    convs.forEach(([i, o, k, st, p], j) => {
      const conv = new Conv3d(i, o, k, rng, { stride: st, padding: p });
      layers.push([`conv${j}`, conv]);
      s = conv.outputShape(s);
      if (j < convs.length - 1) layers.push([`ln${j}`, new LayerNorm(s, { perChannel: true })], [`lrelu${j}`, new Activation(LEAKY)]);
    });
    const flat = s[0]! * s[1]! * s[2]!;
    layers.push(['flat', new Reshape([flat])]);
    const widths = [flat + features + 1, 100, 200, 100, 75];
    const head = new Sequential([...widths.map((w, j) => [`fc${j}`, new Dense(w, widths[j + 1] ?? 1, rng, { activation: j < widths.length - 1 ? LEAKY : 'linear' })] as [string, Layer])]);
    super({ body: new Sequential(layers), head });
    this.voxels = shape[0] * shape[1] * shape[2];
  }

  /** Score [n, 1] of x [n, voxels (+ features)]; the features and the condition join after the convolutions. */
  apply(x: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
    const { body, head } = this.parts;
    return head!.apply(criticHeadInput(x, c, this.voxels, this.features, (cells) => body!.apply(cells) as tf.Tensor2D)) as tf.Tensor2D;
  }
}

/**
 * The energy constrainer of §4.4 on a [d, h, w] grid: Conv3d 1→ch k3 s2 · LN · ch→2ch k3 s2 · LN ·
 * 2ch→ch k2 (LeakyReLU 0.2 after each LN) → flatten → Linear →100 (LeakyReLU 0.2) → 1 (ReLU);
 * ch = 16 published (30³: 14³ → 6³ → 5³ × 16 = 2000 features).
 */
export class ConvConstrainer extends NetParts implements ConstrainerNet {
  /** Builds the constrainer for grid `shape` [d, h, w] with `ch` channels. */
  constructor(shape: readonly [number, number, number], ch: number, rng: Rng) {
    const layers: [string, Layer][] = [['grid', new Reshape([...shape, 1])]];
    let s: number[] = [...shape, 1];
    const convs: [number, number, number, number][] = [
      [1, ch, 3, 2],
      [ch, 2 * ch, 3, 2],
      [2 * ch, ch, 2, 1],
    ];
    convs.forEach(([i, o, k, st], j) => {
      const conv = new Conv3d(i, o, k, rng, { stride: st });
      layers.push([`conv${j}`, conv]);
      s = conv.outputShape(s);
      if (j < convs.length - 1) layers.push([`ln${j}`, new LayerNorm(s, { perChannel: true })], [`lrelu${j}`, new Activation(LEAKY)]);
    });
    const flat = s[0]! * s[1]! * s[2]! * s[3]!;
    layers.push(['flat', new Reshape([flat])], ['fc0', new Dense(flat, 100, rng, { activation: LEAKY })], ['fc1', new Dense(100, 1, rng, { activation: 'relu' })]);
    super({ net: new Sequential(layers) });
  }

  /** Estimate of E in GeV [n, 1]. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return this.parts['net']!.apply(x) as tf.Tensor2D;
  }
}
