/**
 * Small dense building blocks written with tfjs-core ops (no tfjs-layers): a linear layer,
 * CaloMan's "parallel" conditional MLP (field-reference.md §4.7).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, dense, tensorToRaw, type OnnxGraphBuilder, type OnnxValue, type RawTensor, type Rng } from '@calozoo/core';
import type { ParamStore } from './params.js';

/** Uniform initial values in [−limit, limit) drawn from `rng`. */
export function uniformInit(shape: number[], limit: number, rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = (2 * rng.uniform() - 1) * limit;
  return tf.tensor(data, shape, 'float32');
}

/** A linear layer y = x·W + b with PyTorch's default initialisation U(±1/√in). */
export class Dense {
  /** Kernel [in, out]. */
  readonly kernel: tf.Variable;
  /** Bias [out]. */
  readonly bias: tf.Variable;

  /** Creates the layer's variables `name.kernel` and `name.bias` in `store`. */
  constructor(store: ParamStore, name: string, readonly inDim: number, readonly outDim: number, rng: Rng, initScale = 1) {
    const limit = initScale / Math.sqrt(Math.max(1, inDim));
    this.kernel = store.add(`${name}.kernel`, uniformInit([inDim, outDim], limit, rng));
    this.bias = store.add(`${name}.bias`, uniformInit([outDim], limit, rng));
  }

  /** Applies the layer to x [n, in], with an optional fused ReLU. */
  apply(x: tf.Tensor2D, activation: 'linear' | 'relu' = 'linear'): tf.Tensor2D {
    return dense(x, this.kernel as tf.Tensor2D, this.bias as tf.Tensor1D, activation);
  }

  /** Appends the layer (MatMul + Add, then the activation) to an ONNX graph with its current weights. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue, activation: 'linear' | 'relu' = 'linear'): OnnxValue {
    return g.dense(x, tensorToRaw(this.kernel), tensorToRaw(this.bias), activation);
  }
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
      this.cond.push(new Dense(store, `${name}.cond.${i}`, c, h, rng));
      this.main.push(new Dense(store, `${name}.main.${i}`, m + h, h, rng));
      c = h;
      m = h;
    });
    this.out = new Dense(store, `${name}.out`, m + (hidden.length ? c : condDim), outDim, rng);
  }

  /** Applies the network to x [n, inDim] with condition y [n, condDim]. */
  apply(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    let c = y;
    for (let i = 0; i < this.main.length; i++) {
      c = this.cond[i].apply(c, 'relu');
      h = this.main[i].apply(tf.concat([h, c], 1), 'relu');
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
      c = this.cond[i].toOnnx(g, c, 'relu');
      h = g.relu(splitDense(g, this.main[i], h, c));
    }
    const sizes = outputColumns ?? [this.out.outDim];
    if (sizes.reduce((a, b) => a + b, 0) !== this.out.outDim) throw new InvalidArgumentError(`ParallelMlp.toOnnx: output columns [${sizes.join(', ')}] do not add up to ${this.out.outDim}`);
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
  const b = tensorToRaw(layer.bias);
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

