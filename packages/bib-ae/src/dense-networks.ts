/**
 * The dense variant of the BIB-AE's networks, for any geometry (CaloChallenge datasets, small
 * grids), with the published networks' structure (field-reference.md §4.1) and MLPs in place of
 * the 3-D convolutions: the encoder [x ⊕ c] → hidden → μ, log σ² of the active dimensions; the
 * decoder [z ⊕ c] → hidden → every cell (ReLU); the difference critic with branches on the
 * candidate, on the difference candidate − reference and on the condition; the latent critic
 * 1→50→100→50→1 on single coordinates; and the post-processor, the same small network on every
 * cell (a kernel-size-1 convolution), conditioned on the shower's energy sum and condition.
 * Hidden layers use LayerNorm + LeakyReLU 0.2 (per row: the gradient penalty is per shower).
 *
 * Deviation: the post-processor's LayerNorm normalises each cell's channels (the published one
 * normalises each channel over the cells of a shower), so a cell's output depends on its own
 * value and the shower's two conditioning numbers only.
 */
import { Activation, Dense, LayerNorm, Sequential, straightThroughRelu, tf, type ActivationSpec, type Layer, type OnnxGraphBuilder, type OnnxValue, type Rng } from '@calozoo/core';
import { Parts, type DataCriticNet, type DecoderNet, type EncoderNet, type LatentCriticNet, type PostProcessorNet } from './networks.js';

/** Leaky ReLU of the hidden layers (slope 0.2; core's is twice differentiable). */
const LEAKY: ActivationSpec = { name: 'leakyRelu', alpha: 0.2 };

/** Dense layers through `widths`, LayerNorm + LeakyReLU after each hidden one (when `norm`), `last` after the output. */
function mlp(widths: readonly number[], rng: Rng, norm: boolean, last: ActivationSpec): Sequential {
  const layers: [string, Layer][] = [];
  for (let j = 0; j + 1 < widths.length; j++) {
    const hidden = j + 2 < widths.length;
    layers.push([`fc${j}`, new Dense(widths[j]!, widths[j + 1]!, rng, { activation: hidden ? (norm ? 'linear' : LEAKY) : last })]);
    if (hidden && norm) layers.push([`ln${j}`, new LayerNorm([widths[j + 1]!])], [`act${j}`, new Activation(LEAKY)]);
  }
  return new Sequential(layers);
}

/** Encoder [x ⊕ c] → hidden → μ and log σ² of `active` dimensions. */
export class DenseEncoder extends Parts implements EncoderNet {
  /** Builds the encoder for `voxels` cells. */
  constructor(voxels: number, active: number, hidden: readonly number[], rng: Rng) {
    const body = mlp([voxels + 1, ...hidden], rng, true, 'linear');
    const h = hidden[hidden.length - 1]!;
    // The body's last Dense is linear: LayerNorm + LeakyReLU follow it here, before the heads.
    super({ body, norm: new LayerNorm([h]), mu: new Dense(h, active, rng), logVar: new Dense(h, active, rng) });
  }

  /** μ and log σ² [n, active]. */
  apply(x: tf.Tensor2D, c: tf.Tensor2D): { mu: tf.Tensor2D; logVar: tf.Tensor2D } {
    const { body, norm, mu, logVar } = this.parts;
    const h = tf.leakyRelu(norm!.apply(body!.apply(tf.concat([x, c], 1))), 0.2) as tf.Tensor2D;
    return { mu: mu!.apply(h) as tf.Tensor2D, logVar: logVar!.apply(h) as tf.Tensor2D };
  }
}

/**
 * Decoder [z ⊕ c] → hidden → cells (ReLU). With `straightThrough` the output ReLU passes its
 * gradient where the input is negative too (core's `straightThroughRelu`), so no cell stays at 0
 * for good; the forward pass (and the ONNX graph) is the same ReLU.
 */
export class DenseDecoder extends Parts implements DecoderNet {
  /** Builds the decoder for `voxels` cells. */
  constructor(latentDim: number, voxels: number, hidden: readonly number[], rng: Rng, private readonly straightThrough = false) {
    super({ net: mlp([latentDim + 1, ...hidden, voxels], rng, true, straightThrough ? 'linear' : 'relu') });
  }

  /** Network values [n, V]. */
  apply(z: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
    const y = this.parts['net']!.apply(tf.concat([z, c], 1)) as tf.Tensor2D;
    return this.straightThrough ? straightThroughRelu(y) : y;
  }

  /** The same in ONNX. */
  toOnnx(g: OnnxGraphBuilder, z: OnnxValue, c: OnnxValue): OnnxValue {
    const y = this.parts['net']!.toOnnx(g, g.concat([z, c], 1));
    return this.straightThrough ? g.relu(y) : y;
  }
}

/**
 * Difference critic: branches y → 64, (y − x) → 64 and c → 64 (each an MLP, LeakyReLU),
 * concatenated → hidden (LayerNorm + LeakyReLU) → 1. With `features` > 0 the candidate branch
 * sees [y ⊕ f], f the candidate's physics features that training computes (core's
 * `train/critic-features.ts`).
 */
export class DenseDataCritic extends Parts implements DataCriticNet {
  private readonly features: number;

  /** Builds the critic for `voxels` cells (and `features` physics features of the candidate). */
  constructor(voxels: number, hidden: readonly number[], rng: Rng, features = 0) {
    const branch = (inputs: number): Sequential => mlp([inputs, hidden[0]!, 64], rng, true, LEAKY);
    super({ candidate: branch(voxels + features), difference: branch(voxels), condition: mlp([1, 64], rng, false, LEAKY), head: mlp([192, ...hidden, 1], rng, true, 'linear') });
    this.features = features;
  }

  /** Scores [n, 1]. */
  apply(reference: tf.Tensor2D, candidate: tf.Tensor2D, c: tf.Tensor2D, features?: tf.Tensor2D): tf.Tensor2D {
    const p = this.parts;
    if ((features?.shape[1] ?? 0) !== this.features) throw new Error(`DenseDataCritic: built for ${this.features} candidate features, given ${features?.shape[1] ?? 0}`);
    const y = features ? tf.concat([candidate, features], 1) : candidate;
    const h = tf.concat([p['candidate']!.apply(y), p['difference']!.apply(tf.sub(candidate, reference)), p['condition']!.apply(c)], 1);
    return p['head']!.apply(h) as tf.Tensor2D;
  }
}

/** Latent critic 1 → 50 → 100 → 50 → 1 (LeakyReLU 0.2) on single latent coordinates (§4.1). */
export class LatentCritic extends Parts implements LatentCriticNet {
  /** Builds the published network. */
  constructor(rng: Rng) {
    super({ net: mlp([1, 50, 100, 50, 1], rng, false, 'linear') });
  }

  /** Scores [m, 1]. */
  apply(z: tf.Tensor2D): tf.Tensor2D {
    return this.parts['net']!.apply(z) as tf.Tensor2D;
  }
}

/**
 * The post-processor (§4.1), per cell: the condition path [sum, c] → W → W → W (LeakyReLU 0.2 after the hidden layers, 0.01 after the last);
 * the cell path v → C (LayerNorm, LeakyReLU 0.2), then `layers` × (C [+ the condition, first
 * layer] → C, LayerNorm, LeakyReLU 0.2), then C → 1 and a ReLU (the representations need
 * values ≥ 0). The condition joins as a per-shower bias: W_h·h + W_c·cond, which equals the
 * published concatenation followed by one linear layer.
 *
 * The `residual` form (for values in MeV, spanning three decades) sees log(1 + v) instead of v and
 * returns ReLU(v·(1 + Δ)) with the network's output Δ (a relative correction: Δ ≤ −1 switches the
 * cell off; an additive Δ in MeV must grow to −125 to halve a 250 MeV cell), whose last layer starts at 0: the identity at
 * the start, so no warm-up epoch is needed and the output cannot start dead (the direct form's
 * LayerNorm after a scalar input saturates for large v, and on MeV values its ReLU output died
 * in the ILD run without the identity epoch).
 */
export class PostProcessor extends Parts implements PostProcessorNet {
  private readonly channels: number;
  private readonly keepZeros: boolean;
  private readonly residual: boolean;

  /**
   * Builds the network with `channels` per-cell channels, a `conditionWidth`-wide condition path
   * and `layers` hidden layers; with `keepZeros` a cell the decoder left at 0 stays 0; `residual` as above.
   */
  constructor(channels: number, conditionWidth: number, layers: number, rng: Rng, options: { keepZeros?: boolean; residual?: boolean } = {}) {
    const cond = mlp([2, conditionWidth, conditionWidth, conditionWidth], rng, false, { name: 'leakyRelu', alpha: 0.01 });
    const parts: Record<string, Layer> = { cond, cell: new Dense(1, channels, rng), cellNorm: new LayerNorm([channels]), join: new Dense(conditionWidth, channels, rng, { noBias: true }) };
    for (let j = 0; j < layers; j++) {
      parts[`fc${j}`] = new Dense(channels, channels, rng);
      parts[`ln${j}`] = new LayerNorm([channels]);
    }
    const residual = options.residual ?? false;
    parts['out'] = new Dense(channels, 1, rng, residual ? { init: { bound: 0 } } : { activation: 'relu' });
    super(parts);
    this.channels = channels;
    this.keepZeros = options.keepZeros ?? false;
    this.residual = residual;
  }

  private hiddenCount(): number {
    return Object.keys(this.parts).filter((k) => /^fc\d+$/.test(k)).length;
  }

  /** Refined values [n, V]; with `keepZeros` only the cells with x > 0 are computed (the others are 0). */
  apply(x: tf.Tensor2D, sum: tf.Tensor2D, c: tf.Tensor2D): tf.Tensor2D {
    const p = this.parts;
    const [n, V] = x.shape;
    const C = this.channels;
    const bias = p['join']!.apply(p['cond']!.apply(tf.concat([sum, c], 1))) as tf.Tensor2D; // [n, C]
    if (this.keepZeros) return this.applySparse(x, bias);
    const out = this.cells(tf.reshape(x, [n * V, 1]), (y) => tf.reshape(tf.add(tf.reshape(y, [n, V, C]), tf.reshape(bias, [n, 1, C])), [n * V, C]));
    return tf.reshape(out, [n, V]);
  }

  /**
   * The cell network on the cells with x > 0 only, gathered into one [k, 1] column with their
   * shower's condition bias and scattered back (every other cell 0): the same values as the full
   * grid masked by [x > 0], in the memory and time of the hit cells (hundreds to a few thousand of
   * the ILD grid's 27 000 per shower; its full [n·V, C] activations at batch 128 did not fit in 24 GiB).
   */
  private applySparse(x: tf.Tensor2D, bias: tf.Tensor2D): tf.Tensor2D {
    const [n, V] = x.shape;
    const values = x.dataSync();
    let k = 0;
    for (let i = 0; i < values.length; i++) if (values[i]! > 0) k++;
    if (k === 0) return tf.zeros([n, V]);
    const cells = new Int32Array(k);
    for (let i = 0, j = 0; j < k; i++) if (values[i]! > 0) cells[j++] = i;
    const at = tf.tensor1d(cells, 'int32');
    const rowBias = tf.gather(bias, tf.floorDiv(at, tf.scalar(V, 'int32'))); // each cell's shower (int32 ÷ int32 stays int32)
    const out = this.cells(tf.gather(tf.reshape(x, [n * V, 1]), at), (y) => tf.add(y, rowBias) as tf.Tensor2D);
    return tf.reshape(tf.unsortedSegmentSum(tf.reshape(out, [k]), at, n * V), [n, V]);
  }

  /** The per-cell layers on cells [m, 1]; `join` adds the condition to the first hidden layer's pre-activation. Returns [m, 1]. */
  private cells(v: tf.Tensor2D, join: (y: tf.Tensor2D) => tf.Tensor2D): tf.Tensor2D {
    const p = this.parts;
    let h = tf.leakyRelu(p['cellNorm']!.apply(p['cell']!.apply(this.residual ? tf.log1p(v) : v)), 0.2) as tf.Tensor2D;
    for (let j = 0; j < this.hiddenCount(); j++) {
      let y = p[`fc${j}`]!.apply(h) as tf.Tensor2D;
      if (j === 0) y = join(y);
      h = tf.leakyRelu(p[`ln${j}`]!.apply(y), 0.2) as tf.Tensor2D;
    }
    const out = p['out']!.apply(h) as tf.Tensor2D;
    return this.residual ? (tf.relu(tf.mul(v, tf.add(1, out))) as tf.Tensor2D) : out;
  }

  /** The same in ONNX (x [n, V], sum [n, 1], c [n, 1]); with `keepZeros` on the cells with x > 0 only, as `apply`. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue, sum: OnnxValue, c: OnnxValue): OnnxValue {
    const p = this.parts;
    const V = x.shape?.[1];
    if (typeof V !== 'number') throw new Error('PostProcessor.toOnnx: the cell count of x must be known');
    const C = this.channels;
    const bias = p['join']!.toOnnx(g, p['cond']!.toOnnx(g, g.concat([sum, c], 1)));
    if (this.keepZeros) {
      // Gather the hit cells (NonZero), run the cell layers on them with their shower's bias, scatter back into zeros.
      const flat = g.reshape(x, [-1]);
      const at = g.reshape(g.nonZero(g.greater(flat, 0)), [-1]);
      const rowBias = g.gather(bias, g.div(at, g.scalar(V, 'int64')));
      const out = this.cellsOnnx(g, g.unsqueeze(g.gather(flat, at), [1]), (y) => g.add(y, rowBias));
      return g.reshape(g.scatterND(g.mul(flat, 0), g.unsqueeze(at, [1]), g.reshape(out, [-1])), [-1, V]);
    }
    const out = this.cellsOnnx(g, g.reshape(x, [-1, 1]), (y) => g.reshape(g.add(g.reshape(y, [-1, V, C]), g.unsqueeze(bias, [1])), [-1, C]));
    return g.reshape(out, [-1, V]);
  }

  /** `cells` in ONNX. */
  private cellsOnnx(g: OnnxGraphBuilder, v: OnnxValue, join: (y: OnnxValue) => OnnxValue): OnnxValue {
    const p = this.parts;
    let h = g.leakyRelu(p['cellNorm']!.toOnnx(g, p['cell']!.toOnnx(g, this.residual ? g.log(g.add(v, 1)) : v)), 0.2);
    for (let j = 0; j < this.hiddenCount(); j++) {
      let y = p[`fc${j}`]!.toOnnx(g, h);
      if (j === 0) y = join(y);
      h = g.leakyRelu(p[`ln${j}`]!.toOnnx(g, y), 0.2);
    }
    const out = p['out']!.toOnnx(g, h);
    return this.residual ? g.relu(g.mul(v, g.add(out, 1))) : out;
  }
}
