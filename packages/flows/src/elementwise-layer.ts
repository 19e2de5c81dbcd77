/**
 * A standalone element-wise layer: every feature goes through the same kind of univariate
 * transform with its own parameters, free (no context) or produced from the context by an MLP
 * with two hidden layers (the conditional spline of the two-angle BIB-AE latent flow,
 * field-reference.md §4.3).
 */
import * as tf from '@tensorflow/tfjs-core';
import { makeVariable } from './variable.js';
import { invariant, type OnnxGraphBuilder, type OnnxValue, type Rng, tensorToRaw } from '@calozoo/core';
import type { Bijector } from './bijector.js';
import { elementwiseTransform, paramsPerFeature, type ElementwiseConfig, type ElementwiseTransform } from './elementwise.js';
import { prefixed } from '@calozoo/core';
import { Mlp } from './nn.js';

/** Options of an element-wise layer. */
export interface ElementwiseLayerOptions {
  transform: ElementwiseConfig;
  /** Width of the two hidden layers of the context MLP (unused without context). */
  hiddenFeatures: number;
}

/** Element-wise bijector with free or context-dependent parameters. */
export class ElementwiseLayer implements Bijector {
  private readonly t: ElementwiseTransform;
  private readonly free: tf.Variable | null;
  private readonly net: Mlp | null;
  private readonly p: number;

  /** Creates the layer; without context its parameters start at zero. */
  constructor(
    private readonly dim: number,
    contextDim: number,
    o: ElementwiseLayerOptions,
    rng: Rng,
  ) {
    this.p = paramsPerFeature(o.transform);
    this.t = elementwiseTransform(o.transform, contextDim > 0 ? o.hiddenFeatures : 1);
    this.free = contextDim > 0 ? null : makeVariable(tf.zeros([dim, this.p]));
    this.net = contextDim > 0 ? new Mlp(contextDim, [o.hiddenFeatures, o.hiddenFeatures], dim * this.p, rng) : null;
  }

  private params(n: number, context?: tf.Tensor2D): tf.Tensor3D {
    if (this.net && context) return tf.reshape(this.net.apply(context), [n, this.dim, this.p]);
    invariant(this.free, 'elementwise layer has neither a context network nor free parameters');
    return tf.tile(tf.expandDims(this.free, 0), [n, 1, 1]) as tf.Tensor3D;
  }

  /** Applies the transform. */
  forward(x: tf.Tensor2D, context?: tf.Tensor2D) {
    return tf.tidy(() => {
      const r = this.t.forward(x, this.params(x.shape[0], context));
      return { y: r.y, logDet: tf.sum(r.logDet, 1) as tf.Tensor1D };
    });
  }

  /** Inverts the transform. */
  inverse(y: tf.Tensor2D, context?: tf.Tensor2D) {
    return tf.tidy(() => {
      const r = this.t.inverse(y, this.params(y.shape[0], context));
      return { x: r.x, logDet: tf.sum(r.logDet, 1) as tf.Tensor1D };
    });
  }

  /** Appends the inverse; free parameters are broadcast to the batch with Expand. */
  onnxInverse(g: OnnxGraphBuilder, y: OnnxValue, context: OnnxValue | undefined): OnnxValue {
    let params: OnnxValue;
    if (this.net && context) params = g.reshape(this.net.toOnnx(g, context), [-1, this.dim, this.p]);
    else {
      invariant(this.free, 'elementwise layer has neither a context network nor free parameters');
      const n = g.slice(g.shapeOf(y), [0], [1]);
      params = g.expand(g.unsqueeze(g.weight(tensorToRaw(this.free), 'elementwise_params'), [0]), g.concat([n, g.int64s([this.dim, this.p])], 0), [null, this.dim, this.p]);
    }
    return this.t.inverseOnnx(g, y, params, this.dim);
  }

  /** `params` (free) or `net.*` (context MLP). */
  variables(): Record<string, tf.Variable> {
    if (this.free) return { params: this.free };
    return prefixed('net', this.net?.variables() ?? {});
  }

  /** Releases the weights. */
  dispose(): void {
    this.free?.dispose();
    this.net?.dispose();
  }
}
