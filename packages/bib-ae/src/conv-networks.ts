/**
 * The published 3-D convolutional networks of the BIB-AE for the ILD 30×30×30 photon grid
 * (field-reference.md §4.1; getting_high `BIBAE/BIBAE_models.py`: `BiBAE_F_3D_LayerNorm_SmallLatent`
 * and `Discriminator_F_Conv_DIRENR_Diff_v3`), built from core's layer kit. Arguments are PyTorch's;
 * every LayerNorm normalises each channel over (d, h, w) as the published `nn.LayerNorm([D, H, W])`
 * does (core's `LayerNorm` with `perChannel`). Network values are x [n, d·h·w] (row-major), the
 * condition c [n, 1] (incident energy in GeV).
 *
 * The decoder's two transposed convolutions (k3 s3 p1 from 10³, k3 s2 p1 from 30³) would give 28³
 * and 59³ by PyTorch's formula; the published code calls them with `output_size` 30³ and 60³, which
 * PyTorch realises as output_padding 2 and 1. They are built here the same way (padding 1,
 * `outputPadding` 2 and 1), so this is not a deviation. (The first one, output_padding =
 * 2·padding, found a bug in core's TF.js `ConvTranspose3d`, which skipped its crop there; fixed in core.)
 *
 * Deviations from the published networks:
 * - The published convolutions have no bias (`bias=False`); core's Conv3d and ConvTranspose3d
 *   always carry one. Where a per-channel LayerNorm follows, the bias cancels exactly; the decoder's
 *   output convolution and the critic's third convolutions (no LayerNorm after them) are the only
 *   places where it adds a function parameter. Initialise these biases to 0 and leave them out of
 *   training to compute the published function (the wgan package's `frozenBiases` does this).
 * - Flat orders are TF.js's channels-last ones: the encoder flattens (d, h, w, C) rather than
 *   (C, d, h, w), and the decoder's last Dense layer's 1000·ngf features are reshaped straight to
 *   (10, 10, 10, ngf) rather than PyTorch's (ngf, 10, 10, 10). A Dense layer sits on the other side
 *   of each, so the functions the networks can represent are the same (their weights are a
 *   permutation of the published ones); `toOnnx` computes the same numbers (core's `Reshape`).
 * - The critic's difference branch keeps the published LeakyReLU slope 0.01 (PyTorch's default,
 *   `F.leaky_relu(self.fc1a(...))` without a slope); every other LeakyReLU has slope 0.2. The
 *   LeakyReLU "after the concatenation" is applied per branch, which is the same thing.
 * - The critic's log branch uses log1p(y) (the same as log(y + 1), more accurate near 0).
 * Sizes (ngf, ndf, hidden widths) are parameters so that tests can build tiny networks; the
 * critic's branch width is ⌊ndf/2⌋ and its head width 2·ndf, as published.
 */
import {
  Activation, Conv3d, ConvTranspose3d, Dense, InvalidArgumentError, LayerNorm, Reshape, Sequential, tf,
  type ActivationSpec, type Layer, type OnnxGraphBuilder, type OnnxValue, type Rng,
} from '@calozoo/core';
import { Parts, type DataCriticNet, type DecoderNet, type EncoderNet } from './networks.js';

/** Network widths: generator channels, critic channels, hidden Dense widths of encoder and decoder. */
export interface ConvSizes {
  /** Base channel count of encoder and decoder (published 8). */
  ngf: number;
  /** Channel count of the critic's convolutions; branch width ⌊ndf/2⌋, head width 2·ndf (published 128). */
  ndf: number;
  /** Dense widths between the encoder's flattened convolutions (⊕ c) and its two heads. */
  encoderHidden: number[];
  /** Dense widths between the decoder's input [z ⊕ c] and its last Dense layer (to 1000·ngf features). */
  decoderHidden: number[];
}

/** published sizes: ngf 8, ndf 128, encoderHidden [4000, 768], decoderHidden [768, 4000] */
export const PUBLISHED_CONV_SIZES: ConvSizes = { ngf: 8, ndf: 128, encoderHidden: [4000, 768], decoderHidden: [768, 4000] };

/** LeakyReLU of the published networks (slope 0.2; twice differentiable in TF.js). */
const LEAKY: ActivationSpec = { name: 'leakyRelu', alpha: 0.2 };
/** LeakyReLU with PyTorch's default slope, after the critic's difference branch. */
const LEAKY_DEFAULT: ActivationSpec = { name: 'leakyRelu', alpha: 0.01 };

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** One 3-D convolution of a stack, with whether a per-channel LayerNorm and which activation follow. */
interface ConvStep {
  conv: (inChannels: number) => Conv3d | ConvTranspose3d;
  norm: boolean;
  activation: ActivationSpec | null;
}

/** Appends `steps` to `layers` (named `<prefix><i>`, `ln<i>`, `act<i>`) from per-sample `shape`; returns the output shape. */
function pushConvs(layers: [string, Layer][], shape: number[], steps: readonly ConvStep[], prefix: string): number[] {
  let s = shape;
  steps.forEach((step, i) => {
    const conv = step.conv(s[3]!);
    layers.push([`${prefix}${i}`, conv]);
    s = conv.outputShape(s);
    if (step.norm) layers.push([`ln${i}`, new LayerNorm(s, { perChannel: true })]);
    if (step.activation) layers.push([`act${i}`, new Activation(step.activation)]);
  });
  return s;
}

/** Dense layers through `widths` (from `widths[0]`), each followed by `activation`, named `fc<i>`. */
function denseChain(widths: readonly number[], activation: ActivationSpec, rng: Rng): [string, Layer][] {
  return widths.slice(1).map((w, i) => [`fc${i}`, new Dense(widths[i]!, w, rng, { activation })] as [string, Layer]);
}

function checkSizes(sizes: ConvSizes, what: string): void {
  const ok = (n: number): boolean => Number.isInteger(n) && n >= 1;
  if (!ok(sizes.ngf) || !ok(sizes.ndf) || !sizes.encoderHidden.every(ok) || !sizes.decoderHidden.every(ok)) {
    throw new InvalidArgumentError(`${what}: sizes must be integers ≥ 1, got ${JSON.stringify(sizes)}`);
  }
}

/**
 * The encoder (§4.1): Conv3d 1→ngf k4 s2 p2 → 16³ · ngf→2ngf k4 s2 p2 → 9³ · 2ngf→4ngf k4 s2 p2 → 5³ ·
 * 4ngf→8ngf k3 s1 p1 → 5³ (per-channel LayerNorm + LeakyReLU 0.2 after each) → flatten ⊕ c →
 * Dense → encoderHidden… (LeakyReLU 0.2) → two linear heads → `active` (μ) and `active` (log σ²).
 */
export class ConvEncoder extends Parts implements EncoderNet {
  /** Builds the encoder for grid `shape` [d, h, w], `active` latent dimensions and `sizes`. */
  constructor(shape: readonly [number, number, number], active: number, sizes: ConvSizes, rng: Rng) {
    checkSizes(sizes, 'ConvEncoder');
    if (!(Number.isInteger(active) && active >= 1)) throw new InvalidArgumentError(`ConvEncoder: active must be an integer ≥ 1, got ${active}`);
    const { ngf } = sizes;
    const layers: [string, Layer][] = [['grid', new Reshape([...shape, 1])]];
    const step = (out: number, k: number, stride: number, padding: number): ConvStep => ({
      conv: (inCh) => new Conv3d(inCh, out, k, rng, { stride, padding }), norm: true, activation: LEAKY,
    });
    const out = pushConvs(layers, [...shape, 1], [step(ngf, 4, 2, 2), step(2 * ngf, 4, 2, 2), step(4 * ngf, 4, 2, 2), step(8 * ngf, 3, 1, 1)], 'conv');
    const flat = prod(out);
    layers.push(['flat', new Reshape([flat])]);
    const widths = [flat + 1, ...sizes.encoderHidden];
    const hidden = widths[widths.length - 1]!;
    super({
      conv: new Sequential(layers),
      fc: new Sequential(denseChain(widths, LEAKY, rng)),
      mu: new Dense(hidden, active, rng),
      logVar: new Dense(hidden, active, rng),
    });
  }

  /** μ and log σ² [n, active] of x [n, d·h·w] given c [n, 1]. */
  apply(x: tf.Tensor2D, c: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const { conv, fc, mu, logVar } = this.parts;
    const h = fc!.apply(tf.concat([conv!.apply(x) as tf.Tensor2D, c], 1)) as tf.Tensor2D;
    return { mu: mu!.apply(h) as tf.Tensor2D, logVar: logVar!.apply(h) as tf.Tensor2D };
  }
}

/**
 * The decoder (§4.1): [z ⊕ c] → Dense decoderHidden… → (d/3)(h/3)(w/3)·ngf (LeakyReLU 0.2 after
 * each) → reshape (10, 10, 10, ngf) → ConvT ngf→ngf k3 s3 p1 op2 → 30³ · ConvT ngf→2ngf k3 s2 p1
 * op1 → 60³ · Conv3d 2ngf→ngf k2 s2 → 30³ · ngf→2ngf k3 p1 · 2ngf→4ngf k3 p1 · 4ngf→2ngf k3 p1
 * (per-channel LayerNorm + LeakyReLU 0.2 after each) · Conv3d 2ngf→1 k3 p1, ReLU → flatten.
 */
export class ConvDecoder extends Parts implements DecoderNet {
  /** Builds the decoder for grid `shape` [d, h, w] (each divisible by 3), `latentDim` and `sizes`. */
  constructor(shape: readonly [number, number, number], latentDim: number, sizes: ConvSizes, rng: Rng) {
    checkSizes(sizes, 'ConvDecoder');
    if (!(Number.isInteger(latentDim) && latentDim >= 1)) throw new InvalidArgumentError(`ConvDecoder: latentDim must be an integer ≥ 1, got ${latentDim}`);
    if (!shape.every((s) => Number.isInteger(s) && s >= 3 && s % 3 === 0)) throw new InvalidArgumentError(`ConvDecoder: every grid size must be a multiple of 3, got [${shape.join(', ')}]`);
    const { ngf } = sizes;
    const base = shape.map((s) => s / 3);
    const widths = [latentDim + 1, ...sizes.decoderHidden, prod(base) * ngf];
    const layers: [string, Layer][] = [...denseChain(widths, LEAKY, rng), ['grid', new Reshape([...base, ngf])]];
    const up = (out: number, stride: number, outputPadding: number): ConvStep => ({
      conv: (inCh) => new ConvTranspose3d(inCh, out, 3, rng, { stride, padding: 1, outputPadding }), norm: true, activation: LEAKY,
    });
    const conv = (out: number, k: number, stride: number, padding: number, last = false): ConvStep => ({
      conv: (inCh) => new Conv3d(inCh, out, k, rng, { stride, padding, activation: last ? 'relu' : 'linear' }), norm: !last, activation: last ? null : LEAKY,
    });
    const out = pushConvs(layers, [...base, ngf], [
      up(ngf, 3, 2), up(2 * ngf, 2, 1),
      conv(ngf, 2, 2, 0), conv(2 * ngf, 3, 1, 1), conv(4 * ngf, 3, 1, 1), conv(2 * ngf, 3, 1, 1), conv(1, 3, 1, 1, true),
    ], 'conv');
    if (out.slice(0, 3).join() !== shape.join()) throw new InvalidArgumentError(`ConvDecoder: the stack gives [${out.join(', ')}], expected [${shape.join(', ')}, 1]`);
    layers.push(['flat', new Reshape([prod(shape)])]);
    super({ net: new Sequential(layers) });
  }

  /** Network values [n, d·h·w] (≥ 0) of z [n, latentDim] given c [n, 1]. */
  apply(z: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
    return this.parts['net']!.apply(tf.concat([z, c], 1)) as tf.Tensor2D;
  }

  /** The same graph in ONNX (z [n, latentDim], c [n, 1] → [n, d·h·w]). */
  toOnnx(g: OnnxGraphBuilder, z: OnnxValue, c: OnnxValue): OnnxValue {
    return this.parts['net']!.toOnnx(g, g.concat([z, c], 1));
  }
}

/** A critic convolution branch: Conv3d 1→ndf k3 s2 · ndf→ndf k3 s2 (LayerNorm after each) · ndf→ndf k3, LeakyReLU 0.2 after each, flatten → Dense → width. */
function criticBranch(shape: readonly [number, number, number], ndf: number, width: number, rng: Rng): Sequential {
  const layers: [string, Layer][] = [['grid', new Reshape([...shape, 1])]];
  const step = (stride: number, norm: boolean): ConvStep => ({ conv: (inCh) => new Conv3d(inCh, ndf, 3, rng, { stride }), norm, activation: LEAKY });
  const out = pushConvs(layers, [...shape, 1], [step(2, true), step(2, true), step(1, false)], 'conv');
  const flat = prod(out);
  layers.push(['flat', new Reshape([flat])], ['fc', new Dense(flat, width, rng, { activation: LEAKY })]);
  return new Sequential(layers);
}

/**
 * The data-space "difference" critic (§4.1): (a) y → Conv3d 1→ndf k3 s2 → 14³ LN · ndf→ndf k3 s2 →
 * 6³ LN · ndf→ndf k3 → 4³ → Dense → ⌊ndf/2⌋; (b) the same (own weights) on log(y + 1); (c) y − x
 * → Dense → ⌊ndf/2⌋ (LeakyReLU 0.01); (d) c → Dense → ⌊ndf/2⌋; concatenated → Dense 2ndf → 2ndf →
 * 2ndf (LeakyReLU 0.2) → 1, linear. Each score depends on its own row only.
 */
export class ConvDataCritic extends Parts implements DataCriticNet {
  /** Builds the critic for grid `shape` [d, h, w] and `sizes.ndf`. */
  constructor(shape: readonly [number, number, number], sizes: ConvSizes, rng: Rng) {
    checkSizes(sizes, 'ConvDataCritic');
    const { ndf } = sizes;
    const width = Math.max(1, Math.floor(ndf / 2));
    const direct = criticBranch(shape, ndf, width, rng);
    const log = criticBranch(shape, ndf, width, rng);
    const diff = new Dense(prod(shape), width, rng, { activation: LEAKY_DEFAULT });
    const energy = new Dense(1, width, rng, { activation: LEAKY });
    const head = new Sequential([...denseChain([4 * width, 2 * ndf, 2 * ndf, 2 * ndf], LEAKY, rng), ['out', new Dense(2 * ndf, 1, rng)]]);
    super({ direct, log, diff, energy, head });
  }

  /** Scores [n, 1] of candidates y [n, d·h·w] against references x [n, d·h·w] given c [n, 1]. */
  apply(reference: tf.Tensor2D, candidate: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
    const { direct, log, diff, energy, head } = this.parts;
    const h = tf.concat([
      direct!.apply(candidate) as tf.Tensor2D,
      log!.apply(tf.log1p(candidate)) as tf.Tensor2D,
      diff!.apply(tf.sub(candidate, reference)) as tf.Tensor2D,
      energy!.apply(c) as tf.Tensor2D,
    ], 1);
    return head!.apply(h) as tf.Tensor2D;
  }
}
