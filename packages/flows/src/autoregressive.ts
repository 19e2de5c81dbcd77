/**
 * Masked autoregressive layer (Papamakarios et al. 2017, arXiv:1705.07057; with splines, Durkan
 * et al. 2019): a MADE maps x to the parameters of each feature's element-wise transform. The
 * forward (density) pass is one network call; the inverse (sampling) pass needs `dim` calls.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { OnnxGraphBuilder, OnnxValue, Rng } from '@calozoo/core';
import { zerosLikeOnnx } from './onnx.js';
import type { Bijector } from './bijector.js';
import { elementwiseTransform, paramsPerFeature, type ElementwiseConfig, type ElementwiseTransform } from './elementwise.js';
import { Made } from './made.js';
import { prefixed } from '@calozoo/core';

/** Options of a masked autoregressive layer. */
export interface AutoregressiveOptions {
  transform: ElementwiseConfig;
  hiddenFeatures: number;
  numBlocks: number;
}

/** A masked autoregressive bijector on `dim` features with an optional context. */
export class AutoregressiveLayer implements Bijector {
  private readonly made: Made;
  private readonly t: ElementwiseTransform;

  /** Creates the layer. */
  constructor(
    private readonly dim: number,
    contextDim: number,
    o: AutoregressiveOptions,
    rng: Rng,
  ) {
    this.t = elementwiseTransform(o.transform, o.hiddenFeatures);
    this.made = new Made(dim, contextDim, paramsPerFeature(o.transform), o, rng);
  }

  private params(v: tf.Tensor2D, made: (x: tf.Tensor2D) => tf.Tensor2D): tf.Tensor3D {
    return tf.reshape(made(v), [v.shape[0], this.dim, this.t.paramsPerFeature]) as tf.Tensor3D;
  }

  /** One MADE pass, then the element-wise transform. */
  forward(x: tf.Tensor2D, context?: tf.Tensor2D) {
    return tf.tidy(() => {
      const r = this.t.forward(x, this.params(x, this.made.conditioned(context)));
      return { y: r.y, logDet: tf.sum(r.logDet, 1) as tf.Tensor1D };
    });
  }

  /** Fixed-point iteration: after pass i the first i features are exact, so `dim` passes invert exactly. */
  inverse(y: tf.Tensor2D, context?: tf.Tensor2D) {
    return tf.tidy(() => {
      // Masked weights and context terms are the same for every pass: computed once here.
      const made = this.made.conditioned(context);
      let x: tf.Tensor2D = tf.zerosLike(y);
      let logDet: tf.Tensor2D = tf.zerosLike(y);
      for (let i = 0; i < this.dim; i++) {
        const xi = x;
        const r = tf.tidy(() => this.t.inverse(y, this.params(xi, made)));
        // Free each pass's intermediates now rather than at the end of the outer tidy.
        x.dispose();
        logDet.dispose();
        x = r.x;
        logDet = r.logDet;
      }
      return { x, logDet: tf.sum(logDet, 1) as tf.Tensor1D };
    });
  }

  /** The same `dim` fixed-point passes, unrolled into an ONNX graph (weights stored once). */
  onnxInverse(g: OnnxGraphBuilder, y: OnnxValue, context: OnnxValue | undefined): OnnxValue {
    const made = this.made.conditionedOnnx(g, context);
    const p = this.t.paramsPerFeature;
    let x = zerosLikeOnnx(g, y);
    for (let i = 0; i < this.dim; i++) x = this.t.inverseOnnx(g, y, g.reshape(made(x), [-1, this.dim, p]), this.dim);
    return x;
  }

  /** MADE weights under `made.`. */
  variables(): Record<string, tf.Variable> {
    return prefixed('made', this.made.variables());
  }

  /** Releases the weights. */
  dispose(): void {
    this.made.dispose();
  }
}
