/**
 * CaloMan's "parallel" conditional MLP (field-reference.md §4.7), built from core's `Dense`
 * layers (PyTorch's initialisation, one native kernel per layer).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dense, InvalidArgumentError, tensorToRaw, type OnnxGraphBuilder, type OnnxValue, type RawTensor, type Rng } from '@calozoo/core';
import type { ParamStore } from './params.js';

/** A `Dense` layer whose variables are registered in `store` as `name.kernel` and `name.bias`. */
function storedDense(store: ParamStore, name: string, inDim: number, outDim: number, rng: Rng, activation: 'linear' | 'relu'): Dense {
  const d = new Dense(inDim, outDim, rng, { activation });
  store.adopt(name, d.params());
  return d;
}

/**
 * CaloMan's "parallel" conditional MLP: the condition runs through its own linear+ReLU stack
 * whose widths track the main stack, and its activations are concatenated to the main
 * activations before every layer, the output layer included (field-reference.md §4.7).
 */
export class ParallelMlp {
  private readonly cond: Dense[] = [];
  private readonly main: Dense[] = [];
  private readonly out: Dense;

  /** Creates an MLP inDim → hidden… → outDim conditioned on condDim numbers. */
  constructor(store: ParamStore, name: string, inDim: number, condDim: number, hidden: readonly number[], outDim: number, rng: Rng) {
    let c = condDim;
    let m = inDim;
    hidden.forEach((h, i) => {
      this.cond.push(storedDense(store, `${name}.cond.${i}`, c, h, rng, 'relu'));
      this.main.push(storedDense(store, `${name}.main.${i}`, m + h, h, rng, 'relu'));
      c = h;
      m = h;
    });
    this.out = storedDense(store, `${name}.out`, m + (hidden.length ? c : condDim), outDim, rng, 'linear');
  }

  /** Applies the network to x [n, inDim] with condition y [n, condDim]. */
  apply(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    let c = y;
    for (let i = 0; i < this.main.length; i++) {
      c = this.cond[i]!.apply(c);
      h = this.main[i]!.apply(tf.concat([h, c], 1));
    }
    return this.out.apply(tf.concat([h, c], 1));
  }

  /**
   * Appends the network to an ONNX graph. Same maths as `apply`, without the concatenations: a
   * layer on [h, c] is written as h·W_h + (c·W_c + b), two Gemms on the row blocks of its kernel
   * (exact up to float32 summation order). `outputColumns` splits the output layer into column
   * ranges computed by separate Gemms (e.g. a decoder's mean and log σ), so no Split copy follows.
   */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue, y: OnnxValue, outputColumns?: readonly number[]): OnnxValue[] {
    let h = x;
    let c = y;
    for (let i = 0; i < this.main.length; i++) {
      c = this.cond[i]!.toOnnx(g, c);
      h = g.relu(splitDense(g, this.main[i], h, c));
    }
    const sizes = outputColumns ?? [this.out.outFeatures];
    if (sizes.reduce((a, b) => a + b, 0) !== this.out.outFeatures) throw new InvalidArgumentError(`ParallelMlp.toOnnx: output columns [${sizes.join(', ')}] do not add up to ${this.out.outFeatures}`);
    let start = 0;
    return sizes.map((n) => splitDense(g, this.out, h, c, [start, (start += n)]));
  }
}

/**
 * layer([h, c]) as Gemm(h, W[:kh], Gemm(c, W[kh:], b)) on the columns [from, to) of the layer's
 * kernel (default all), where kh is h's feature count.
 */
function splitDense(g: OnnxGraphBuilder, layer: Dense, h: OnnxValue, c: OnnxValue, cols?: readonly [number, number]): OnnxValue {
  const W = tensorToRaw(layer.kernel);
  const b = tensorToRaw(layer.bias!);
  const [rows, out] = W.shape as [number, number];
  const kh = h.shape?.[1];
  if (typeof kh !== 'number' || kh >= rows) throw new InvalidArgumentError(`ParallelMlp.toOnnx: input has ${kh} features, the kernel [${rows}, ${out}]`);
  const [from, to] = cols ?? [0, out];
  const n = to - from;
  const block = (r0: number, r1: number): RawTensor => {
    const data = new Float32Array((r1 - r0) * n);
    for (let r = r0; r < r1; r++) data.set((W.data as Float32Array).subarray(r * out + from, r * out + to), (r - r0) * n);
    return { data, shape: [r1 - r0, n] };
  };
  const bias: RawTensor = { data: (b.data as Float32Array).slice(from, to), shape: [n] };
  return g.gemm(h, block(0, kh), g.gemm(c, block(kh, rows), bias));
}

