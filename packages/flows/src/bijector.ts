/**
 * The bijector contract (nflows' `Transform`, typed): `forward` and `inverse` each return the
 * transformed batch and the per-sample log|det J| of the map they applied, and both take an
 * optional context. `compose` and `invert` turn bijectors into bijectors, so a flow is a list.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, type OnnxGraphBuilder, type OnnxValue } from '@calozoo/core';
import { prefixed } from '@calozoo/core';
import { identityLayout, notExportable, relayoutOnnx, type OnnxLayoutInverse } from './onnx.js';

/** Result of a forward pass: outputs and per-sample log|det ∂y/∂x|. */
export interface ForwardResult {
  y: tf.Tensor2D;
  logDet: tf.Tensor1D;
}

/** Result of an inverse pass: inputs and per-sample log|det ∂x/∂y|. */
export interface InverseResult {
  x: tf.Tensor2D;
  logDet: tf.Tensor1D;
}

/** A bijection with exact log|det J| per sample, optionally conditioned on a context. */
export interface Bijector extends Partial<OnnxLayoutInverse> {
  /** Maps x to y; `logDet[i]` = log|det ∂y_i/∂x_i|. */
  forward(x: tf.Tensor2D, context?: tf.Tensor2D): ForwardResult;
  /** Maps y back to x; `logDet[i]` = log|det ∂x_i/∂y_i| (minus the forward one). */
  inverse(y: tf.Tensor2D, context?: tf.Tensor2D): InverseResult;
  /** Appends the inverse map to an ONNX graph (present on every built-in layer except inverted ones). */
  onnxInverse?(g: OnnxGraphBuilder, y: OnnxValue, context: OnnxValue | undefined): OnnxValue;
  /** Named state (trainable parameters and non-trainable buffers), keyed for safetensors. */
  variables?(): Record<string, tf.Variable>;
  /** Switches training behaviour (batch statistics, data-dependent initialisation). */
  setTraining?(training: boolean): void;
  /** Releases the variables this bijector owns. */
  dispose?(): void;
}

/** Composes bijectors left to right: forward applies `bijectors[0]` first; log-dets add. */
export function compose(...bijectors: Bijector[]): Bijector {
  if (bijectors.length === 0) throw new InvalidArgumentError('compose: needs at least one bijector');
  return {
    forward(x, context) {
      return tf.tidy(() => {
        let y = x;
        let logDet: tf.Tensor1D = tf.zeros([x.shape[0]]);
        for (const b of bijectors) {
          const r = b.forward(y, context);
          y = r.y;
          logDet = tf.add(logDet, r.logDet);
        }
        return { y, logDet };
      });
    },
    inverse(y, context) {
      return tf.tidy(() => {
        let x = y;
        let logDet: tf.Tensor1D = tf.zeros([y.shape[0]]);
        for (let i = bijectors.length - 1; i >= 0; i--) {
          const r = bijectors[i].inverse(x, context);
          x = r.x;
          logDet = tf.add(logDet, r.logDet);
        }
        return { x, logDet };
      });
    },
    onnxInverse(g, y, context) {
      const dim = y.shape?.[1];
      if (typeof dim !== 'number') {
        let x = y;
        for (let i = bijectors.length - 1; i >= 0; i--) {
          const b = bijectors[i];
          if (!b.onnxInverse) notExportable(`layer ${i} (${b.constructor.name})`);
          x = b.onnxInverse(g, x, context);
        }
        return x;
      }
      const natural = identityLayout(dim);
      const r = this.onnxInverseInLayout!(g, y, natural, null, context);
      return relayoutOnnx(g, r.x, r.layout, natural);
    },
    onnxInverseInLayout(g, y, layout, want, context) {
      // wantIn[i]: the layout layer i's inverse would like its input in, looking through permutations.
      const wantIn: (readonly number[] | null)[] = [];
      for (let i = 0; i < bijectors.length; i++) {
        const b = bijectors[i];
        const next = i === 0 ? want : wantIn[i - 1];
        wantIn.push(b.onnxRelabelBack ? b.onnxRelabelBack(next ?? identityLayout(layout.length)) : (b.onnxInputLayout?.() ?? null));
      }
      let x = y;
      let lay: readonly number[] = layout;
      for (let i = bijectors.length - 1; i >= 0; i--) {
        const b = bijectors[i];
        const w = i === 0 ? want : wantIn[i - 1];
        if (b.onnxInverseInLayout) ({ x, layout: lay } = b.onnxInverseInLayout(g, x, lay, w, context));
        else {
          if (!b.onnxInverse) notExportable(`layer ${i} (${b.constructor.name})`);
          const natural = identityLayout(lay.length);
          x = b.onnxInverse(g, relayoutOnnx(g, x, lay, natural), context);
          lay = natural;
        }
      }
      return { x, layout: [...lay] };
    },
    variables() {
      return Object.assign({}, ...bijectors.map((b, i) => prefixed(String(i), b.variables?.() ?? {})));
    },
    setTraining(training) {
      for (const b of bijectors) b.setTraining?.(training);
    },
    dispose() {
      for (const b of bijectors) b.dispose?.();
    },
  };
}

/** Swaps the forward and inverse directions of a bijector. */
export function invert(b: Bijector): Bijector {
  return {
    forward(x, context) {
      const r = b.inverse(x, context);
      return { y: r.x, logDet: r.logDet };
    },
    inverse(y, context) {
      const r = b.forward(y, context);
      return { x: r.y, logDet: r.logDet };
    },
    variables: () => b.variables?.() ?? {},
    setTraining: (training) => b.setTraining?.(training),
    dispose: () => b.dispose?.(),
  };
}

