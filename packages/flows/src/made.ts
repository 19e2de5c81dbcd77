/**
 * MADE: masked autoencoder for distribution estimation (Germain et al. 2015, arXiv:1502.03509)
 * with residual blocks and context, as nflows' `MADE(use_residual_blocks=True)`: output block i
 * depends only on inputs < i (and on the context).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@calozoo/core';
import { Dense, prefixed } from './nn.js';

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
  private readonly blocks: { l0: Dense; l1: Dense; ctx: Dense | null }[] = [];
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
    for (let i = 0; i < o.numBlocks; i++) {
      this.blocks.push({
        l0: new Dense(h, h, rng, 'torch', hidden),
        l1: new Dense(h, h, rng, 'small', hidden),
        ctx: contextFeatures > 0 ? new Dense(contextFeatures, h, rng) : null,
      });
    }
    this.final = new Dense(h, F * paramsPerFeature, rng, 'torch', mask(hDeg, outDeg, true));
  }

  /** Evaluates the network on x [n, F] and optional context [n, c]. */
  apply(x: tf.Tensor2D, context?: tf.Tensor2D): tf.Tensor2D {
    let h = this.initial.apply(x);
    if (this.context && context) h = tf.add(h, this.context.apply(context));
    for (const b of this.blocks) {
      let t = b.l0.apply(tf.relu(h));
      if (b.ctx && context) t = tf.add(t, b.ctx.apply(context));
      t = b.l1.apply(tf.relu(t));
      h = tf.add(h, t);
    }
    return this.final.apply(h);
  }

  /** Named variables. */
  variables(): Record<string, tf.Variable> {
    const out = { ...prefixed('initial', this.initial.variables()), ...prefixed('final', this.final.variables()) };
    if (this.context) Object.assign(out, prefixed('context', this.context.variables()));
    this.blocks.forEach((b, i) => {
      Object.assign(out, prefixed(`blocks.${i}.l0`, b.l0.variables()), prefixed(`blocks.${i}.l1`, b.l1.variables()));
      if (b.ctx) Object.assign(out, prefixed(`blocks.${i}.context`, b.ctx.variables()));
    });
    return out;
  }

  /** Releases the variables. */
  dispose(): void {
    this.initial.dispose();
    this.final.dispose();
    this.context?.dispose();
    for (const b of this.blocks) [b.l0, b.l1, b.ctx].forEach((d) => d?.dispose());
  }
}
