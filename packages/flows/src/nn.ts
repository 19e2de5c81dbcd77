/**
 * The small networks that produce transform parameters, written with tfjs-core ops so that every
 * weight is a named `tf.Variable` that serialises to safetensors by name: a dense layer (PyTorch's
 * default initialisation), nflows' `ResidualNet` with context (context enters the first linear
 * layer and gates each block through a GLU) and a plain MLP.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dense as CoreDense, prefixed, type OnnxGraphBuilder, type OnnxValue, type Rng } from '@calozoo/core';

/** How a dense layer's weights start: PyTorch's U(±1/√fan_in), or U(±1e-3) for near-identity residual blocks. */
export type DenseInit = 'torch' | 'small';

/** Core's dense layer with the flows' parameter names (`weight`, `bias`, as saved in flow files) and an optional MADE mask. */
export class Dense extends CoreDense {
  /** Creates the layer; `mask` [in, out] zeroes connections (kept constant, not saved). */
  constructor(inFeatures: number, outFeatures: number, rng: Rng, init: DenseInit = 'torch', mask?: Float32Array) {
    super(inFeatures, outFeatures, rng, { init: init === 'small' ? { bound: 1e-3 } : 'torch', mask });
  }

  /** The layer's variables as `{weight, bias}`. */
  override variables(): Record<string, tf.Variable> {
    return { weight: this.kernel, bias: this.bias! };
  }
}

/** A residual block: two hidden layers and an optional context layer. */
export interface ResidualBlock {
  l0: Dense;
  l1: Dense;
  ctx: Dense | null;
}

/** Creates a residual block of width `h`; its last layer starts near zero, so the block starts near the identity (nflows' zero_initialization). */
export function residualBlock(h: number, contextFeatures: number, rng: Rng, mask?: Float32Array): ResidualBlock {
  return {
    l0: new Dense(h, h, rng, 'torch', mask),
    l1: new Dense(h, h, rng, 'small', mask),
    ctx: contextFeatures > 0 ? new Dense(contextFeatures, h, rng) : null,
  };
}

/** Named variables of the (present) `layers` under their keys, then of `blocks` under `blocks.i.{l0,l1,context}`. */
export function residualVariables(layers: Record<string, Dense | null>, blocks: readonly ResidualBlock[]): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [name, d] of Object.entries(layers)) if (d) Object.assign(out, prefixed(name, d.variables()));
  blocks.forEach((b, i) => {
    Object.assign(out, prefixed(`blocks.${i}.l0`, b.l0.variables()), prefixed(`blocks.${i}.l1`, b.l1.variables()));
    if (b.ctx) Object.assign(out, prefixed(`blocks.${i}.context`, b.ctx.variables()));
  });
  return out;
}

/** Releases the (present) `layers` and every layer of `blocks`. */
export function disposeResidual(layers: (Dense | null)[], blocks: readonly ResidualBlock[]): void {
  for (const d of layers) d?.dispose();
  for (const b of blocks) [b.l0, b.l1, b.ctx].forEach((d) => d?.dispose());
}

/** Options of a residual network. */
export interface ResidualNetOptions {
  hiddenFeatures: number;
  numBlocks: number;
}

/** nflows' `ResidualNet`: context joins the input of the first layer and gates every block (GLU). */
export class ResidualNet {
  private readonly initial: Dense;
  private readonly blocks: ResidualBlock[] = [];
  private readonly final: Dense;

  /** Creates the network mapping [inFeatures (+ contextFeatures)] to [outFeatures]. */
  constructor(inFeatures: number, outFeatures: number, contextFeatures: number, o: ResidualNetOptions, rng: Rng) {
    const h = o.hiddenFeatures;
    this.initial = new Dense(inFeatures + contextFeatures, h, rng);
    for (let i = 0; i < o.numBlocks; i++) this.blocks.push(residualBlock(h, contextFeatures, rng));
    this.final = new Dense(h, outFeatures, rng);
  }

  /** Evaluates the network on x [n, in] and optional context [n, c]. */
  apply(x: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor2D {
    let h = this.initial.apply(context ? tf.concat([x, context], 1) : x);
    for (const b of this.blocks) {
      let t = b.l0.forward(tf.relu(h), 'relu');
      t = b.l1.apply(t);
      if (b.ctx && context) t = tf.mul(t, tf.sigmoid(b.ctx.apply(context)));
      h = tf.add(h, t);
    }
    return this.final.apply(h);
  }

  /** Appends the network to an ONNX graph (same ops as `apply`). */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue, context?: OnnxValue): OnnxValue {
    let h = this.initial.toOnnx(g, context ? g.concat([x, context], 1) : x);
    for (const b of this.blocks) {
      let t = b.l1.toOnnx(g, b.l0.toOnnx(g, g.relu(h), 'relu'));
      if (b.ctx && context) t = g.mul(t, g.sigmoid(b.ctx.toOnnx(g, context)));
      h = g.add(h, t);
    }
    return this.final.toOnnx(g, h);
  }

  /** Named variables (`initial`, `blocks.i.{l0,l1,context}`, `final`). */
  variables(): Record<string, tf.Variable> {
    return residualVariables({ initial: this.initial, final: this.final }, this.blocks);
  }

  /** Releases the variables. */
  dispose(): void {
    disposeResidual([this.initial, this.final], this.blocks);
  }
}

/** A ReLU multilayer perceptron with the given hidden widths. */
export class Mlp {
  private readonly layers: Dense[] = [];

  /** Creates the MLP [in] → hidden… → [out]. */
  constructor(inFeatures: number, hidden: number[], outFeatures: number, rng: Rng) {
    const sizes = [inFeatures, ...hidden, outFeatures];
    for (let i = 0; i + 1 < sizes.length; i++) this.layers.push(new Dense(sizes[i], sizes[i + 1], rng));
  }

  /** Evaluates the MLP. */
  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    this.layers.forEach((l, i) => {
      h = l.forward(h, i + 1 < this.layers.length ? 'relu' : 'linear');
    });
    return h;
  }

  /** Appends the MLP to an ONNX graph. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue {
    let h = x;
    this.layers.forEach((l, i) => {
      h = l.toOnnx(g, h, i + 1 < this.layers.length ? 'relu' : 'linear');
    });
    return h;
  }

  /** Named variables (`i.weight`, `i.bias`). */
  variables(): Record<string, tf.Variable> {
    return Object.assign({}, ...this.layers.map((l, i) => prefixed(String(i), l.variables())));
  }

  /** Releases the variables. */
  dispose(): void {
    for (const l of this.layers) l.dispose();
  }
}
