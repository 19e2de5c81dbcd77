/**
 * MADE: masked autoencoder for distribution estimation (Germain et al. 2015, arXiv:1502.03509)
 * with residual blocks and context, as nflows' `MADE(use_residual_blocks=True)`: output block i
 * depends only on inputs < i (and on the context).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OnnxGraphBuilder, OnnxValue, Rng } from '@calozoo/core';
import { Dense, disposeResidual, residualBlock, residualVariables, type ResidualBlock } from './nn.js';

/** Options of a MADE network. */
export interface MadeOptions {
  hiddenFeatures: number;
  numBlocks: number;
}

/** Connectivity mask [in, out]: 1 where out-degree ≥ in-degree (hidden) or > (output). */
function mask(inDeg: number[], outDeg: number[], strict: boolean): Float32Array {
  const m = new Float32Array(inDeg.length * outDeg.length);
  for (let i = 0; i < inDeg.length; i++) {
    for (let o = 0; o < outDeg.length; o++) m[i * outDeg.length + o] = (strict ? outDeg[o] > inDeg[i] : outDeg[o] >= inDeg[i]) ? 1 : 0;
  }
  return m;
}

/** A MADE mapping [n, F] (+ context) to [n, F · paramsPerFeature], feature-major. */
export class Made {
  private readonly initial: Dense;
  private readonly context: Dense | null;
  private readonly blocks: ResidualBlock[] = [];
  private readonly final: Dense;

  /** Creates the network; hidden degrees are assigned sequentially as in nflows (random_mask=False). */
  constructor(features: number, contextFeatures: number, paramsPerFeature: number, o: MadeOptions, rng: Rng) {
    const F = features;
    const h = o.hiddenFeatures;
    const inDeg = Array.from({ length: F }, (_, i) => i + 1);
    const hDeg = Array.from({ length: h }, (_, k) => (k % Math.max(1, F - 1)) + Math.min(1, F - 1));
    const outDeg = Array.from({ length: F * paramsPerFeature }, (_, j) => Math.floor(j / paramsPerFeature) + 1);
    const hidden = mask(hDeg, hDeg, false);
    this.initial = new Dense(F, h, rng, 'torch', mask(inDeg, hDeg, false));
    this.context = contextFeatures > 0 ? new Dense(contextFeatures, h, rng) : null;
    for (let i = 0; i < o.numBlocks; i++) this.blocks.push(residualBlock(h, contextFeatures, rng, hidden));
    this.final = new Dense(h, F * paramsPerFeature, rng, 'torch', mask(hDeg, outDeg, true));
  }

  /** Evaluates the network on x [n, F] and optional context [n, c]. */
  apply(x: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor2D {
    return this.conditioned(context)(x);
  }

  /**
   * The network for a fixed context, with the masked weights and the context terms computed once:
   * the autoregressive inverse evaluates it F times with the same context and weights.
   */
  conditioned(context?: tf.Tensor2D): (x: tf.Tensor2D) => tf.Tensor2D {
    const wInitial = this.initial.weight();
    const cInitial = this.context && context ? this.context.apply(context) : null;
    const blocks = this.blocks.map((b) => ({ b, w0: b.l0.weight(), w1: b.l1.weight(), c: b.ctx && context ? b.ctx.apply(context) : null }));
    const wFinal = this.final.weight();
    return (x) => {
      let h = this.initial.forward(x, 'linear', wInitial);
      if (cInitial) h = tf.add(h, cInitial);
      for (const { b, w0, w1, c } of blocks) {
        let t = b.l0.forward(tf.relu(h), 'linear', w0);
        if (c) t = tf.add(t, c);
        t = b.l1.forward(tf.relu(t), 'linear', w1);
        h = tf.add(h, t);
      }
      return this.final.forward(h, 'linear', wFinal);
    };
  }

  /** `conditioned` for an ONNX graph: the context terms are appended once, each call appends one pass. */
  conditionedOnnx(g: OnnxGraphBuilder, context?: OnnxValue): (x: OnnxValue) => OnnxValue {
    const cInitial = this.context && context ? this.context.toOnnx(g, context) : null;
    const blocks = this.blocks.map((b) => ({ b, c: b.ctx && context ? b.ctx.toOnnx(g, context) : null }));
    return (x) => {
      let h = this.initial.toOnnx(g, x);
      if (cInitial) h = g.add(h, cInitial);
      for (const { b, c } of blocks) {
        let t = b.l0.toOnnx(g, g.relu(h));
        if (c) t = g.add(t, c);
        h = g.add(h, b.l1.toOnnx(g, g.relu(t)));
      }
      return this.final.toOnnx(g, h);
    };
  }

  /** Named variables (`initial`, `final`, `context`, `blocks.i.{l0,l1,context}`). */
  variables(): Record<string, tf.Variable> {
    return residualVariables({ initial: this.initial, final: this.final, context: this.context }, this.blocks);
  }

  /** Releases the variables. */
  dispose(): void {
    disposeResidual([this.initial, this.final, this.context], this.blocks);
  }
}
