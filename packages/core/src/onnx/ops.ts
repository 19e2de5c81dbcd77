/**
 * One method per ONNX operator the calozoo models need (semantics: onnx/docs/Operators.md at
 * the builder's opset). Each method appends one node and returns its output with the shape
 * inferred where possible. Constant operands (axes, shapes, starts) are passed as plain arrays.
 */
import { InvalidArgumentError } from '../errors.js';
import { OnnxGraphCore } from './graph.js';
import { broadcastShapes, convOut, convTransposeOut, matMulShape, normAxis, reshapeShape } from './shapes.js';
import type { OnnxAttribute, OnnxDType, OnnxShape, OnnxValue, RawTensor, WeightLike } from './types.js';

/** Options of `conv` (ONNX Conv); lists have one entry per spatial dimension. */
export interface ConvOptions {
  /** Stride per spatial dimension; default 1. */
  strides?: readonly number[];
  /** Begin pads then end pads, as ONNX (`[x1_begin, x2_begin, …, x1_end, x2_end, …]`). */
  pads?: readonly number[];
  /** Dilation per spatial dimension; default 1. */
  dilations?: readonly number[];
  /** Number of groups; default 1. */
  group?: number;
}

/** Options of `convTranspose` (ONNX ConvTranspose). */
export interface ConvTransposeOptions extends ConvOptions {
  /** Extra size added at the end of each spatial dimension (PyTorch `output_padding`). */
  outputPadding?: readonly number[];
}

/** Operand of elementwise ops: a value, raw constant data or a float32 scalar. */
export type Operand = OnnxValue | RawTensor | number;

const f = (x: number): OnnxAttribute => ({ f: x });
const i = (x: number): OnnxAttribute => ({ i: x });
const ints = (x: readonly number[]): OnnxAttribute => ({ ints: x });

/** Spatial rank, kernel shape and the strides, pads and dilations of a (transposed) convolution with their defaults. */
function convParams(W: OnnxValue, o: ConvOptions) {
  const nd = W.shape!.length - 2;
  const k = W.shape!.slice(2) as number[];
  const s = o.strides ?? k.map(() => 1);
  const p = o.pads ?? new Array<number>(2 * nd).fill(0);
  const d = o.dilations ?? k.map(() => 1);
  return { nd, k, s, p, d };
}

/** The builder's operator methods (see `OnnxGraphBuilder`). */
export class OnnxOps extends OnnxGraphCore {
  /** Appends a single-output node. */
  protected op1(
    opType: string,
    inputs: readonly (OnnxValue | '')[],
    attrs: Readonly<Record<string, OnnxAttribute | undefined>>,
    dtype: OnnxDType,
    shape: OnnxShape | undefined,
  ): OnnxValue {
    return this.node(opType, inputs, attrs, [{ dtype, shape }])[0]!;
  }

  private operand(x: Operand): OnnxValue {
    return typeof x === 'number' ? this.scalar(x) : this.weight(x, 'operand');
  }

  private binary(op: string, a: Operand, b: Operand, dtype?: OnnxDType): OnnxValue {
    const x = this.operand(a);
    const y = this.operand(b);
    return this.op1(op, [x, y], {}, dtype ?? x.dtype, broadcastShapes(x.shape, y.shape, op));
  }

  private unary(op: string, x: OnnxValue, attrs: Record<string, OnnxAttribute | undefined> = {}): OnnxValue {
    return this.op1(op, [x], attrs, x.dtype, x.shape);
  }

  /** Identity (a copy under a new name). */
  identity(x: OnnxValue): OnnxValue { return this.unary('Identity', x); }
  /** Matrix product with numpy broadcasting. */
  matMul(a: OnnxValue, b: WeightLike): OnnxValue {
    const w = this.weight(b);
    return this.op1('MatMul', [a, w], {}, a.dtype, matMulShape(a.shape, w.shape));
  }
  /** General matrix multiply α·op(A)·op(B) + β·C (A, B rank 2). */
  gemm(a: OnnxValue, b: WeightLike, c?: WeightLike, o: { transA?: boolean; transB?: boolean; alpha?: number; beta?: number } = {}): OnnxValue {
    const w = this.weight(b);
    const rows = a.shape ? a.shape[o.transA ? 1 : 0]! : null;
    const cols = w.shape ? w.shape[o.transB ? 0 : 1]! : null;
    const attrs = { transA: o.transA ? i(1) : undefined, transB: o.transB ? i(1) : undefined, alpha: o.alpha === undefined ? undefined : f(o.alpha), beta: o.beta === undefined ? undefined : f(o.beta) };
    return this.op1('Gemm', c ? [a, w, this.weight(c)] : [a, w], attrs, a.dtype, a.shape && w.shape ? [rows, cols] : undefined);
  }
  /** a + b. */
  add(a: Operand, b: Operand): OnnxValue { return this.binary('Add', a, b); }
  /** a − b. */
  sub(a: Operand, b: Operand): OnnxValue { return this.binary('Sub', a, b); }
  /** a · b. */
  mul(a: Operand, b: Operand): OnnxValue { return this.binary('Mul', a, b); }
  /** a / b. */
  div(a: Operand, b: Operand): OnnxValue { return this.binary('Div', a, b); }
  /** a ** b. */
  pow(a: Operand, b: Operand): OnnxValue { return this.binary('Pow', a, b); }
  /** Elementwise maximum (two operands). */
  max(a: Operand, b: Operand): OnnxValue { return this.binary('Max', a, b); }
  /** Elementwise minimum (two operands). */
  min(a: Operand, b: Operand): OnnxValue { return this.binary('Min', a, b); }
  /** a > b (bool). */
  greater(a: Operand, b: Operand): OnnxValue { return this.binary('Greater', a, b, 'bool'); }
  /** a < b (bool). */
  less(a: Operand, b: Operand): OnnxValue { return this.binary('Less', a, b, 'bool'); }
  /** a ≥ b (bool; opset ≥ 12). */
  greaterOrEqual(a: Operand, b: Operand): OnnxValue { return this.binary('GreaterOrEqual', a, b, 'bool'); }
  /** a ≤ b (bool; opset ≥ 12). */
  lessOrEqual(a: Operand, b: Operand): OnnxValue { return this.binary('LessOrEqual', a, b, 'bool'); }
  /** Logical and of two bool values. */
  and(a: OnnxValue, b: OnnxValue): OnnxValue { return this.binary('And', a, b, 'bool'); }
  /** a == b (bool). */
  equal(a: Operand, b: Operand): OnnxValue { return this.binary('Equal', a, b, 'bool'); }
  /** cond ? a : b, broadcast. */
  where(cond: OnnxValue, a: Operand, b: Operand): OnnxValue {
    const x = this.operand(a);
    const y = this.operand(b);
    return this.op1('Where', [cond, x, y], {}, x.dtype, broadcastShapes(cond.shape, broadcastShapes(x.shape, y.shape, 'Where'), 'Where'));
  }
  /** max(x, 0). */
  relu(x: OnnxValue): OnnxValue { return this.unary('Relu', x); }
  /** x ≥ 0 ? x : α·x (default α 0.01 as ONNX; Keras uses 0.3, PyTorch 0.01). */
  leakyRelu(x: OnnxValue, alpha = 0.01): OnnxValue { return this.unary('LeakyRelu', x, { alpha: f(alpha) }); }
  /** x ≥ 0 ? x : α·(eˣ − 1). */
  elu(x: OnnxValue, alpha = 1): OnnxValue { return this.unary('Elu', x, { alpha: f(alpha) }); }
  /** 1 / (1 + e⁻ˣ). */
  sigmoid(x: OnnxValue): OnnxValue { return this.unary('Sigmoid', x); }
  /** tanh x. */
  tanh(x: OnnxValue): OnnxValue { return this.unary('Tanh', x); }
  /** log(1 + eˣ). */
  softplus(x: OnnxValue): OnnxValue { return this.unary('Softplus', x); }
  /** eˣ. */
  exp(x: OnnxValue): OnnxValue { return this.unary('Exp', x); }
  /** Natural logarithm. */
  log(x: OnnxValue): OnnxValue { return this.unary('Log', x); }
  /** Square root. */
  sqrt(x: OnnxValue): OnnxValue { return this.unary('Sqrt', x); }
  /** |x|. */
  abs(x: OnnxValue): OnnxValue { return this.unary('Abs', x); }
  /** −x. */
  neg(x: OnnxValue): OnnxValue { return this.unary('Neg', x); }
  /** Clamps x to [min, max] (either bound optional). */
  clip(x: OnnxValue, min?: number, max?: number): OnnxValue {
    return this.op1('Clip', [x, min === undefined ? '' : this.scalar(min), max === undefined ? '' : this.scalar(max)], {}, x.dtype, x.shape);
  }
  /** Element type conversion. */
  cast(x: OnnxValue, to: OnnxDType): OnnxValue {
    const codes: Record<OnnxDType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float64: 11 };
    return this.op1('Cast', [x], { to: i(codes[to]) }, to, x.shape);
  }
  /** Softmax along `axis` (default −1). */
  softmax(x: OnnxValue, axis = -1): OnnxValue { return this.unary('Softmax', x, { axis: i(axis) }); }

  /** Concatenation along `axis`. */
  concat(xs: readonly OnnxValue[], axis: number): OnnxValue {
    if (xs.length === 0) throw new InvalidArgumentError('concat: needs at least one input');
    let shape: (number | null)[] | undefined;
    if (xs.every((x) => x.shape)) {
      const a = normAxis(axis, xs[0]!.shape!.length, 'Concat');
      shape = [...xs[0]!.shape!];
      shape[a] = xs.reduce<number | null>((s, x) => (s === null || x.shape![a] === null ? null : s + x.shape![a]!), 0);
    }
    return this.op1('Concat', xs, { axis: i(axis) }, xs[0]!.dtype, shape);
  }
  /** Splits along `axis` into pieces of the given sizes. */
  split(x: OnnxValue, axis: number, sizes: readonly number[]): OnnxValue[] {
    const a = x.shape ? normAxis(axis, x.shape.length, 'Split') : -1;
    const outs = sizes.map((s) => ({ dtype: x.dtype, shape: x.shape?.map((d, k) => (k === a ? s : d)) }));
    return this.node('Split', [x, this.int64s(sizes, 'split')], { axis: i(axis) }, outs);
  }
  /** Slice [starts, ends) along `axes` (default 0…) with `steps` (default 1). */
  slice(x: OnnxValue, starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[]): OnnxValue {
    const ax = axes ?? starts.map((_, k) => k);
    let shape: (number | null)[] | undefined;
    if (x.shape) {
      shape = [...x.shape];
      ax.forEach((axis, k) => {
        const a = normAxis(axis, shape!.length, 'Slice');
        const n = shape![a]!;
        const st = steps?.[k] ?? 1;
        if (n === null || st !== 1) { shape![a] = null; return; }
        const clamp = (v: number): number => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
        shape![a] = Math.max(0, clamp(ends[k]!) - clamp(starts[k]!));
      });
    }
    const inputs = [x, this.int64s(starts, 'starts'), this.int64s(ends, 'ends'), this.int64s(ax, 'axes')];
    if (steps) inputs.push(this.int64s(steps, 'steps'));
    return this.op1('Slice', inputs, {}, x.dtype, shape);
  }
  /** Gathers entries of x along `axis` at `indices` (a value or constant int64 indices). */
  gather(x: OnnxValue, indices: OnnxValue | readonly number[], axis = 0): OnnxValue {
    const idx = Array.isArray(indices) ? this.int64s(indices, 'indices') : (indices as OnnxValue);
    let shape: OnnxShape | undefined;
    if (x.shape && idx.shape) {
      const a = normAxis(axis, x.shape.length, 'Gather');
      shape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
    }
    return this.op1('Gather', [x, idx], { axis: i(axis) }, x.dtype, shape);
  }
  /**
   * Gathers along `axis` with an index tensor of the same rank as x (ONNX GatherElements):
   * out[i][j][k] = x[i][idx[i][j][k]][k] for axis 1; the output has the indices' shape.
   */
  gatherElements(x: OnnxValue, indices: OnnxValue, axis: number): OnnxValue {
    return this.op1('GatherElements', [x, indices], { axis: i(axis) }, x.dtype, indices.shape);
  }
  /** Indices of x's non-zero entries, int64 [rank, k] in row-major order (ONNX NonZero; k known at run time only). */
  nonZero(x: OnnxValue): OnnxValue {
    return this.op1('NonZero', [x], {}, 'int64', x.shape ? [x.shape.length, null] : undefined);
  }
  /** A copy of `data` with `updates` written at the int64 `indices` [k, r] (ONNX ScatterND, no reduction). */
  scatterND(data: OnnxValue, indices: OnnxValue, updates: OnnxValue): OnnxValue {
    return this.op1('ScatterND', [data, indices, updates], {}, data.dtype, data.shape);
  }
  /** The run-time shape of x as a 1-D int64 tensor (ONNX Shape). */
  shapeOf(x: OnnxValue): OnnxValue {
    return this.op1('Shape', [x], {}, 'int64', x.shape ? [x.shape.length] : undefined);
  }
  /** Broadcasts x to the shape held in the int64 tensor `shape` (ONNX Expand); `static` is that shape where known. */
  expand(x: OnnxValue, shape: OnnxValue, known?: OnnxShape): OnnxValue {
    return this.op1('Expand', [x, shape], {}, x.dtype, known);
  }
  /** Constant padding: `pads` lists begin pads then end pads per dimension, as ONNX. */
  pad(x: OnnxValue, pads: readonly number[], value = 0): OnnxValue {
    if (x.shape && pads.length !== 2 * x.shape.length) throw new InvalidArgumentError(`pad: needs ${2 * x.shape.length} pads for rank ${x.shape.length}, got ${pads.length}`);
    const r = pads.length / 2;
    const shape = x.shape?.map((d, k) => (d === null ? null : d + pads[k]! + pads[r + k]!));
    return this.op1('Pad', [x, this.int64s(pads, 'pads'), this.scalar(value, x.dtype === 'float64' ? 'float64' : 'float32')], { mode: { s: 'constant' } }, x.dtype, shape);
  }
  /** Reshape to a constant shape (0 copies the input dimension, −1 is inferred). */
  reshape(x: OnnxValue, shape: readonly number[]): OnnxValue {
    return this.op1('Reshape', [x, this.int64s(shape, 'shape')], {}, x.dtype, reshapeShape(x.shape, shape));
  }
  /** Permutes dimensions. */
  transpose(x: OnnxValue, perm: readonly number[]): OnnxValue {
    return this.op1('Transpose', [x], { perm: ints(perm) }, x.dtype, x.shape && perm.map((p) => x.shape![p]!));
  }
  /** DepthToSpace (DCR): [N, b²·C, H, W] → [N, C, b·H, b·W], input channel (bh·b + bw)·C + c to output (c, b·h + bh, b·w + bw). */
  depthToSpace(x: OnnxValue, blocksize: number): OnnxValue {
    const sh = x.shape;
    if (sh && (sh.length !== 4 || (sh[1] !== null && sh[1]! % (blocksize * blocksize) !== 0))) {
      throw new InvalidArgumentError(`DepthToSpace: needs [N, b²·C, H, W] with b = ${blocksize}, got [${sh.join(', ')}]`);
    }
    const shape = sh && [sh[0]!, sh[1] === null ? null : sh[1]! / (blocksize * blocksize), sh[2] === null ? null : sh[2]! * blocksize, sh[3] === null ? null : sh[3]! * blocksize];
    return this.op1('DepthToSpace', [x], { blocksize: i(blocksize), mode: { s: 'DCR' } }, x.dtype, shape);
  }
  /** Inserts size-1 dimensions at `axes` (of the output). */
  unsqueeze(x: OnnxValue, axes: readonly number[]): OnnxValue {
    let shape: (number | null)[] | undefined;
    if (x.shape) {
      const rank = x.shape.length + axes.length;
      const at = new Set(axes.map((a) => normAxis(a, rank, 'Unsqueeze')));
      const rest = [...x.shape];
      shape = Array.from({ length: rank }, (_, k) => (at.has(k) ? 1 : rest.shift()!));
    }
    return this.op1('Unsqueeze', [x, this.int64s(axes, 'axes')], {}, x.dtype, shape);
  }
  /** Removes size-1 dimensions at `axes`. */
  squeeze(x: OnnxValue, axes: readonly number[]): OnnxValue {
    const at = x.shape ? new Set(axes.map((a) => normAxis(a, x.shape!.length, 'Squeeze'))) : undefined;
    return this.op1('Squeeze', [x, this.int64s(axes, 'axes')], {}, x.dtype, x.shape?.filter((_, k) => !at!.has(k)));
  }
  private reduce(op: string, x: OnnxValue, axes: readonly number[], keepDims: boolean, axesAsInput: boolean): OnnxValue {
    let shape: OnnxShape | undefined;
    if (x.shape) {
      const at = new Set(axes.map((a) => normAxis(a, x.shape!.length, op)));
      shape = keepDims ? x.shape.map((d, k) => (at.has(k) ? 1 : d)) : x.shape.filter((_, k) => !at.has(k));
    }
    const keep = { keepdims: i(keepDims ? 1 : 0) };
    return axesAsInput
      ? this.op1(op, [x, this.int64s(axes, 'axes')], keep, x.dtype, shape)
      : this.op1(op, [x], { ...keep, axes: ints(axes) }, x.dtype, shape);
  }
  /** Sum over `axes` (axes are an input from opset 13). */
  reduceSum(x: OnnxValue, axes: readonly number[], keepDims = false): OnnxValue { return this.reduce('ReduceSum', x, axes, keepDims, true); }
  /** Maximum over `axes` (axes are an input from opset 18). */
  reduceMax(x: OnnxValue, axes: readonly number[], keepDims = false): OnnxValue { return this.reduce('ReduceMax', x, axes, keepDims, this.opset >= 18); }
  /** Mean over `axes` (axes are an input from opset 18). */
  reduceMean(x: OnnxValue, axes: readonly number[], keepDims = false): OnnxValue { return this.reduce('ReduceMean', x, axes, keepDims, this.opset >= 18); }
  /** Cumulative sum along `axis`. */
  cumSum(x: OnnxValue, axis: number, o: { exclusive?: boolean; reverse?: boolean } = {}): OnnxValue {
    const ax = this.constant(BigInt64Array.of(BigInt(axis)), [], 'axis');
    return this.op1('CumSum', [x, ax], { exclusive: o.exclusive ? i(1) : undefined, reverse: o.reverse ? i(1) : undefined }, x.dtype, x.shape);
  }

  /** N-d convolution (1D/2D/3D from W's rank), input NC…, weights (C_out, C_in/group, k…). */
  conv(x: OnnxValue, w: WeightLike, b?: WeightLike, o: ConvOptions = {}): OnnxValue {
    const W = this.weight(w, 'conv_w');
    const { nd, k, s, p, d } = convParams(W, o);
    const shape = x.shape && [x.shape[0]!, W.shape![0]!, ...k.map((kk, j) => convOut(x.shape![2 + j]!, kk, s[j]!, p[j]!, p[nd + j]!, d[j]!))];
    const attrs = { kernel_shape: ints(k), strides: ints(s), pads: ints(p), dilations: ints(d), group: i(o.group ?? 1) };
    return this.op1('Conv', b ? [x, W, this.weight(b, 'conv_b')] : [x, W], attrs, x.dtype, shape);
  }
  /** N-d max pooling of an NC… input (pads as ONNX: begins then ends; padded cells never win). */
  maxPool(x: OnnxValue, kernel: readonly number[], o: { strides?: readonly number[]; pads?: readonly number[] } = {}): OnnxValue {
    const nd = kernel.length;
    const s = o.strides ?? kernel.map(() => 1);
    const p = o.pads ?? new Array<number>(2 * nd).fill(0);
    const shape = x.shape && [x.shape[0]!, x.shape[1]!, ...kernel.map((kk, j) => convOut(x.shape![2 + j]!, kk, s[j]!, p[j]!, p[nd + j]!, 1))];
    return this.op1('MaxPool', [x], { kernel_shape: ints(kernel), strides: ints(s), pads: ints(p) }, x.dtype, shape);
  }
  /** N-d transposed convolution, weights (C_in, C_out/group, k…) as ONNX and PyTorch. */
  convTranspose(x: OnnxValue, w: WeightLike, b?: WeightLike, o: ConvTransposeOptions = {}): OnnxValue {
    const W = this.weight(w, 'convT_w');
    const { nd, k, s, p, d } = convParams(W, o);
    const op = o.outputPadding ?? k.map(() => 0);
    const g = o.group ?? 1;
    const shape = x.shape && [x.shape[0]!, W.shape![1]! * g, ...k.map((kk, j) => convTransposeOut(x.shape![2 + j]!, kk, s[j]!, p[j]!, p[nd + j]!, op[j]!, d[j]!))];
    const attrs = { kernel_shape: ints(k), strides: ints(s), pads: ints(p), dilations: ints(d), group: i(g), output_padding: op.some((v) => v) ? ints(op) : undefined };
    return this.op1('ConvTranspose', b ? [x, W, this.weight(b, 'convT_b')] : [x, W], attrs, x.dtype, shape);
  }
  /** Inference-mode batch normalisation over channel axis 1. */
  batchNormalization(x: OnnxValue, scale: WeightLike, bias: WeightLike, mean: WeightLike, variance: WeightLike, epsilon = 1e-5): OnnxValue {
    const ins = [x, this.weight(scale, 'bn_scale'), this.weight(bias, 'bn_bias'), this.weight(mean, 'bn_mean'), this.weight(variance, 'bn_var')];
    return this.op1('BatchNormalization', ins, { epsilon: f(epsilon) }, x.dtype, x.shape);
  }
  /** Layer normalisation over dimensions axis… (opset ≥ 17); scale/bias have those dimensions' shape. */
  layerNormalization(x: OnnxValue, scale: WeightLike, bias?: WeightLike, o: { axis?: number; epsilon?: number } = {}): OnnxValue {
    if (this.opset < 17) throw new InvalidArgumentError(`layerNormalization needs opset ≥ 17, this graph uses ${this.opset}`);
    const ins = bias ? [x, this.weight(scale, 'ln_scale'), this.weight(bias, 'ln_bias')] : [x, this.weight(scale, 'ln_scale')];
    return this.op1('LayerNormalization', ins, { axis: i(o.axis ?? -1), epsilon: f(o.epsilon ?? 1e-5) }, x.dtype, x.shape);
  }
  /** Instance normalisation (per sample and channel over spatial dimensions). */
  instanceNormalization(x: OnnxValue, scale: WeightLike, bias: WeightLike, epsilon = 1e-5): OnnxValue {
    return this.op1('InstanceNormalization', [x, this.weight(scale, 'in_scale'), this.weight(bias, 'in_bias')], { epsilon: f(epsilon) }, x.dtype, x.shape);
  }
}
