/**
 * Coupling layer (Dinh et al. 2017, arXiv:1605.08803; with splines, Durkan et al. 2019): the
 * identity features pass unchanged and, with the context, condition the element-wise transform of
 * the others through nflows' ResidualNet.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, type OnnxGraphBuilder, type OnnxValue, type Rng } from '@calozoo/core';
import type { Bijector } from './bijector.js';
import { elementwiseTransform, paramsPerFeature, type ElementwiseConfig, type ElementwiseTransform } from './elementwise.js';
import { prefixed } from '@calozoo/core';
import { ResidualNet } from './nn.js';
import { identityLayout, relayoutOnnx } from './onnx.js';
import { scatterColumns, selectColumns, selectionMatrix } from './select.js';

/** Options of a coupling layer. */
export interface CouplingOptions {
  /** Which feature indices pass unchanged and condition the rest. */
  identityFeatures: 'even' | 'odd';
  transform: ElementwiseConfig;
  hiddenFeatures: number;
  numBlocks: number;
}

/** A coupling bijector on `dim` features with an optional `contextDim` context. */
export class CouplingLayer implements Bijector {
  private readonly net: ResidualNet;
  private readonly t: ElementwiseTransform;
  private readonly sId: tf.Tensor2D;
  private readonly sTr: tf.Tensor2D;
  private readonly nTr: number;
  private readonly idIdx: number[] = [];
  private readonly trIdx: number[] = [];

  /** Creates the layer; needs dim ≥ 2 so both halves are non-empty. */
  constructor(dim: number, contextDim: number, o: CouplingOptions, rng: Rng) {
    if (dim < 2) throw new InvalidArgumentError(`coupling layer: needs at least 2 features, got ${dim}; use an autoregressive or elementwise layer for 1-D data`);
    const parity = o.identityFeatures === 'even' ? 0 : 1;
    const { idIdx, trIdx } = this;
    for (let i = 0; i < dim; i++) (i % 2 === parity ? idIdx : trIdx).push(i);
    this.nTr = trIdx.length;
    this.sId = selectionMatrix(dim, idIdx);
    this.sTr = selectionMatrix(dim, trIdx);
    this.t = elementwiseTransform(o.transform, o.hiddenFeatures);
    const p = paramsPerFeature(o.transform);
    this.net = new ResidualNet(idIdx.length, trIdx.length * p, contextDim, o, rng);
  }

  private run(v: tf.Tensor2D, context: tf.Tensor2D | undefined, inverse: boolean): { out: tf.Tensor2D; logDet: tf.Tensor1D } {
    return tf.tidy(() => {
      const n = v.shape[0];
      const vId = selectColumns(v, this.sId);
      const vTr = selectColumns(v, this.sTr);
      const params = tf.reshape(this.net.apply(vId, context), [n, this.nTr, this.t.paramsPerFeature]) as tf.Tensor3D;
      const r = inverse ? this.t.inverse(vTr, params) : this.t.forward(vTr, params);
      const moved = 'y' in r ? r.y : r.x;
      const out = tf.add(scatterColumns(vId, this.sId), scatterColumns(moved, this.sTr)) as tf.Tensor2D;
      return { out, logDet: tf.sum(r.logDet, 1) as tf.Tensor1D };
    });
  }

  /** Transforms the non-identity features given the identity ones. */
  forward(x: tf.Tensor2D, context?: tf.Tensor2D) {
    const r = this.run(x, context, false);
    return { y: r.out, logDet: r.logDet };
  }

  /** Inverts the transform (same conditioner input, since identity features are unchanged). */
  inverse(y: tf.Tensor2D, context?: tf.Tensor2D) {
    const r = this.run(y, context, true);
    return { x: r.out, logDet: r.logDet };
  }

  /** Appends the inverse: the conditioner on the identity features, the inverse transform of the others, columns put back in order. */
  onnxInverse(g: OnnxGraphBuilder, y: OnnxValue, context: OnnxValue | undefined): OnnxValue {
    const natural = identityLayout(this.idIdx.length + this.nTr);
    const r = this.onnxInverseInLayout(g, y, natural, null, context);
    return relayoutOnnx(g, r.x, r.layout, natural);
  }

  /** The layout [identity features…, transformed features…], read with one Split. */
  onnxInputLayout(): number[] {
    return [...this.idIdx, ...this.trIdx];
  }

  /** Appends the inverse for y in `layout`; x comes out as [identity features…, transformed features…]. */
  onnxInverseInLayout(g: OnnxGraphBuilder, y: OnnxValue, layout: readonly number[], _want: readonly number[] | null, context: OnnxValue | undefined): { x: OnnxValue; layout: number[] } {
    const order = this.onnxInputLayout();
    let vId: OnnxValue;
    let vTr: OnnxValue;
    if (layout.every((c, k) => c === order[k])) [vId, vTr] = g.split(y, 1, [this.idIdx.length, this.nTr]) as [OnnxValue, OnnxValue];
    else {
      const pos = new Map(layout.map((c, k) => [c, k]));
      vId = g.gather(y, this.idIdx.map((c) => pos.get(c)!), 1);
      vTr = g.gather(y, this.trIdx.map((c) => pos.get(c)!), 1);
    }
    const params = g.reshape(this.net.toOnnx(g, vId, context), [-1, this.nTr, this.t.paramsPerFeature]);
    const moved = this.t.inverseOnnx(g, vTr, params, this.nTr);
    return { x: g.concat([vId, moved], 1), layout: order };
  }

  /** Conditioner weights under `conditioner.`. */
  variables(): Record<string, tf.Variable> {
    return prefixed('conditioner', this.net.variables());
  }

  /** Releases the weights. */
  dispose(): void {
    this.net.dispose();
    this.sId.dispose();
    this.sTr.dispose();
  }
}
