/**
 * Element-wise (univariate) bijections and how many parameters each needs per feature, so that
 * coupling and autoregressive layers can plug any of them in (zuko's `univariate` + `shapes`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, type OnnxGraphBuilder, type OnnxValue } from '@calozoo/core';
import { rqsInverseOnnx } from './onnx.js';
import { rqsForward, rqsInverse, rqsParamCount } from './rqs.js';

/** Which element-wise transform a layer applies: affine, or a rational-quadratic spline with K bins on [−B, B]. */
export type ElementwiseConfig = { kind: 'affine' } | { kind: 'rqs'; bins: number; tailBound: number };

/** Smallest affine scale (nflows' AffineCouplingTransform). */
export const AFFINE_MIN_SCALE = 1e-3;
/** Offset inside the sigmoid of the affine scale, so an untrained layer starts with scale ≈ 0.88. */
export const AFFINE_SCALE_OFFSET = 2;

/** An element-wise bijection driven by [n, f, p] unconstrained parameters. */
export interface ElementwiseTransform {
  /** Parameters per transformed feature. */
  readonly paramsPerFeature: number;
  /** y = g(x); logDet is element-wise [n, f]. */
  forward(x: tf.Tensor2D, params: tf.Tensor3D): { y: tf.Tensor2D; logDet: tf.Tensor2D };
  /** x = g⁻¹(y); logDet is element-wise [n, f]. */
  inverse(y: tf.Tensor2D, params: tf.Tensor3D): { x: tf.Tensor2D; logDet: tf.Tensor2D };
  /** Appends x = g⁻¹(y) to an ONNX graph: y [n, f], params [n, f, p] → x [n, f]. */
  inverseOnnx(g: OnnxGraphBuilder, y: OnnxValue, params: OnnxValue, f: number): OnnxValue;
}

/** Number of parameters per feature that `config` needs (3K − 1 for a spline, 2 for affine). */
export function paramsPerFeature(config: ElementwiseConfig): number {
  return config.kind === 'affine' ? 2 : rqsParamCount(config.bins);
}

function affineScaleShift(params: tf.Tensor3D): [tf.Tensor2D, tf.Tensor2D] {
  const [n, f] = params.shape;
  const u = tf.reshape(tf.slice(params, [0, 0, 0], [n, f, 1]), [n, f]);
  const shift = tf.reshape(tf.slice(params, [0, 0, 1], [n, f, 1]), [n, f]) as tf.Tensor2D;
  return [tf.add(tf.sigmoid(tf.add(u, AFFINE_SCALE_OFFSET)), AFFINE_MIN_SCALE) as tf.Tensor2D, shift];
}

/**
 * Builds the element-wise transform for `config`.
 * @param hiddenFeatures width of the network producing the parameters: spline width and height
 *   logits are divided by √hiddenFeatures, as nflows' coupling and autoregressive spline layers do
 */
export function elementwiseTransform(config: ElementwiseConfig, hiddenFeatures = 1): ElementwiseTransform {
  if (config.kind === 'affine') {
    return {
      paramsPerFeature: 2,
      forward(x, params) {
        return tf.tidy(() => {
          const [scale, shift] = affineScaleShift(params);
          return { y: tf.add(tf.mul(x, scale), shift) as tf.Tensor2D, logDet: tf.log(scale) as tf.Tensor2D };
        });
      },
      inverse(y, params) {
        return tf.tidy(() => {
          const [scale, shift] = affineScaleShift(params);
          return { x: tf.div(tf.sub(y, shift), scale) as tf.Tensor2D, logDet: tf.neg(tf.log(scale)) as tf.Tensor2D };
        });
      },
      inverseOnnx(g, y, params, f) {
        const u = g.reshape(g.slice(params, [0], [1], [2]), [-1, f]);
        const shift = g.reshape(g.slice(params, [1], [2], [2]), [-1, f]);
        return g.div(g.sub(y, shift), g.add(g.sigmoid(g.add(u, AFFINE_SCALE_OFFSET)), AFFINE_MIN_SCALE));
      },
    };
  }
  if (config.kind !== 'rqs') throw new InvalidArgumentError(`elementwise: unknown kind "${(config as { kind: string }).kind}"; valid: affine, rqs`);
  const o = { bins: config.bins, tailBound: config.tailBound };
  const K = config.bins;
  const p = rqsParamCount(K);
  const scale = new Float32Array(p).fill(1);
  scale.fill(1 / Math.sqrt(hiddenFeatures), 0, 2 * K);
  // TensorFlow.js: the 1/√hidden factor on the width and height logits as a scalar product inside
  // the spline (a product with a broadcast [3K−1] vector is several times slower on tfjs-node).
  const scaled = { ...o, logitScale: 1 / Math.sqrt(hiddenFeatures) };
  return {
    paramsPerFeature: p,
    forward: (x, params) => rqsForward(x, params, scaled),
    inverse: (y, params) => rqsInverse(y, params, scaled),
    inverseOnnx: (g, y, params, f) => rqsInverseOnnx(g, y, g.mul(params, { data: scale, shape: [p] }), o, f),
  };
}
