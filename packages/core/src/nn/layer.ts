/**
 * The layer kit's contract and its shared pieces: seeded initialisation, activations on both
 * runtimes, named parameters, and an ONNX weight cache.
 *
 * Layout rule: rank-5 activations are channels-last (N, D, H, W, C) in TensorFlow.js, as its
 * convolutions need, and channels-first (N, C, D, H, W) in ONNX, as ONNX Runtime's need. Each
 * layer's `toOnnx` works in the ONNX layout and writes its weights transposed to it; `Reshape` and
 * `Flatten` move between flat and rank-5 values so that both runtimes compute the same numbers in
 * the same order.
 */
import { InvalidArgumentError } from '../errors.js';
import { leakyReluDiff } from '../device/leaky-relu.js';
import { tf } from '../device/tf.js';
import type { DeferredTensor, NamedTensor } from '../model-dir/safetensors.js';
import type { OnnxGraphBuilder } from '../onnx/builder.js';
import type { ActivationSpec, OnnxValue, RawTensor } from '../onnx/types.js';
import type { Rng } from '../rng.js';

/** A layer: named parameters, a TF.js forward pass and its ONNX emission. */
export interface Layer {
  /** Trainable variables by stable name (e.g. `kernel`, `bias`). */
  params(): Record<string, tf.Variable>;
  /** Every variable, trainable or not (running statistics), by stable name. */
  variables(): Record<string, tf.Variable>;
  /** Forward pass; `training` selects batch statistics and updates running ones where a layer has them. */
  apply(x: tf.Tensor, training?: boolean): tf.Tensor;
  /** Appends the layer to an ONNX graph (rank-5 values channels-first) with its current weights. */
  toOnnx(g: OnnxGraphBuilder, x: OnnxValue): OnnxValue;
  /** Per-sample output shape (TF.js layout) for a per-sample input shape. */
  outputShape(input: readonly number[]): number[];
  /** Frees the variables. */
  dispose(): void;
}

/** How weights start: PyTorch's U(±1/√fan_in) (`torch`), or U(±bound) for a given bound. */
export type Init = 'torch' | { bound: number };

/** Uniform values in [−bound, bound) from `rng`, in row-major order. */
export function uniformValues(rng: Rng, n: number, bound: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = bound * (2 * rng.uniform() - 1);
  return a;
}

/** The bound of an `Init` for a layer with `fanIn` inputs per output. */
export function initBound(init: Init | undefined, fanIn: number): number {
  if (init === undefined || init === 'torch') return 1 / Math.sqrt(Math.max(1, fanIn));
  if (!(init.bound >= 0)) throw new InvalidArgumentError(`init bound must be ≥ 0, got ${init.bound}`);
  return init.bound;
}

/** A variable of `shape` holding `data` (the variable owns its copy). */
export function variableOf(data: Float32Array, shape: readonly number[], trainable = true): tf.Variable {
  return tf.tidy(() => tf.variable(tf.tensor(data, [...shape], 'float32'), trainable));
}

/** Applies an activation in TF.js (leaky ReLU twice differentiable on every backend). */
export function activate<T extends tf.Tensor>(x: T, spec: ActivationSpec = 'linear'): T {
  const { name, alpha } = typeof spec === 'string' ? { name: spec, alpha: undefined } : spec;
  const y = ((): tf.Tensor => {
    switch (name) {
      case 'linear': return x;
      case 'relu': return tf.relu(x);
      case 'leakyRelu': return leakyReluDiff(x, alpha ?? 0.2);
      case 'elu': {
        if ((alpha ?? 1) !== 1) throw new InvalidArgumentError(`activation: TF.js elu has alpha 1 only, got ${alpha}`);
        return tf.elu(x);
      }
      case 'sigmoid': return tf.sigmoid(x);
      case 'tanh': return tf.tanh(x);
      case 'softplus': return tf.softplus(x);
      case 'exp': return tf.exp(x);
      case 'softmax': return tf.softmax(x);
      default: throw new InvalidArgumentError(`activation: unknown activation "${String(name)}"`);
    }
  })();
  return y as T;
}

/** A float32 tensor's values and shape (a copy, `dataSync`). */
export function tensorToRaw(t: tf.Tensor | RawTensor): RawTensor {
  if (!('dataSync' in t)) return t;
  if (t.dtype !== 'float32') throw new InvalidArgumentError(`tensorToRaw: only float32 tensors are exported, got ${t.dtype}`);
  return { data: Float32Array.from(t.dataSync() as Float32Array), shape: [...t.shape] };
}

/** The values of `t` computed by `fn` (inside a tidy) as raw weights. */
export function rawComputed(fn: () => tf.Tensor): RawTensor {
  const t = tf.tidy(fn);
  try {
    return tensorToRaw(t);
  } finally {
    // A function that returns a variable itself must not free it.
    if (!(t instanceof tf.Variable)) t.dispose();
  }
}

/** Initializers already written per graph, so a weight used several times is stored once. */
const written = new WeakMap<OnnxGraphBuilder, Map<object, OnnxValue>>();

/** The initializer for `key`'s value in graph `g`, created by `make` on first use. */
export function cachedWeight(g: OnnxGraphBuilder, key: object, make: () => RawTensor, prefix: string): OnnxValue {
  let m = written.get(g);
  if (!m) written.set(g, (m = new Map()));
  let v = m.get(key);
  if (!v) {
    const r = make();
    v = g.constant(r.data, r.shape, prefix);
    m.set(key, v);
  }
  return v;
}

/** Copies variables into named host tensors, names prefixed with `prefix.` when given. */
export function namedValues(vars: Record<string, tf.Variable>, prefix = ''): Record<string, NamedTensor> {
  const out: Record<string, NamedTensor> = {};
  for (const [k, v] of Object.entries(vars)) out[prefix ? `${prefix}.${k}` : k] = { dtype: 'F32', shape: [...v.shape], data: new Float32Array(v.dataSync() as Float32Array) };
  return out;
}

/** The variables' values as deferred tensors, read when written (checkpoints: one copy at a time). */
export function deferredValues(vars: Record<string, tf.Variable>, prefix = ''): Record<string, DeferredTensor> {
  const out: Record<string, DeferredTensor> = {};
  for (const [k, v] of Object.entries(vars)) out[prefix ? `${prefix}.${k}` : k] = { dtype: 'F32', shape: [...v.shape], read: () => v.dataSync() as Float32Array };
  return out;
}

/** Prefixes the keys of `vars` with `prefix.`. */
export function prefixed<T>(prefix: string, vars: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [`${prefix}.${k}`, v]));
}
