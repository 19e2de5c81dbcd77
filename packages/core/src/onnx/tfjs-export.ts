/**
 * Export helpers from TensorFlow.js to the ONNX builder: weights are read from tf tensors or
 * variables with `dataSync()` (so they are exactly the trained float32 values), and dense stacks
 * (Keras-style `Dense` layers, or variables found by name) become MatMul + Add + activation.
 */
import type { tf as TfNamespace } from '../device/tf.js';
import { InvalidArgumentError, ModelFormatError } from '../errors.js';
import type { OnnxGraphBuilder } from './builder.js';
import type { ActivationSpec, OnnxActivation, OnnxValue, RawTensor } from './types.js';

type Tensor = TfNamespace.Tensor;

/** Weights and activation of one dense layer, kernel (in, out) as in TF.js. */
export interface DenseWeights {
  /** Kernel of shape (in, out). */
  kernel: Tensor | RawTensor;
  /** Bias of shape (out). */
  bias?: Tensor | RawTensor;
  /** Activation after the layer; default linear. */
  activation?: ActivationSpec;
}

/** The part of a tfjs-layers `Layer` the exporter reads (structural, so core needs no tfjs-layers import). */
export interface TfLayerLike {
  /** Layer class name, e.g. 'Dense', 'LeakyReLU', 'ReLU', 'Activation'. */
  getClassName(): string;
  /** Layer config (`activation`, `alpha`, `useBias`, …). */
  getConfig(): Record<string, unknown>;
  /** Current weights (kernel, then bias for Dense). */
  getWeights(): Tensor[];
}

/** A named collection of tf tensors or variables: an array (names from `.name`) or a map. */
export type TfTensorsByName = readonly TfNamespace.Variable[] | Readonly<Record<string, Tensor>>;

/** Copies a tf tensor's float32 values and shape (`dataSync`). */
export function tensorToRaw(t: Tensor | RawTensor): RawTensor {
  if (!('dataSync' in t)) return t;
  if (t.dtype !== 'float32') throw new InvalidArgumentError(`tensorToRaw: only float32 tensors are exported, got ${t.dtype}`);
  return { data: Float32Array.from(t.dataSync() as Float32Array), shape: [...t.shape] };
}

/** Adds a tf tensor as an initializer named `name`. */
export function initializerFromTf(g: OnnxGraphBuilder, name: string, t: Tensor | RawTensor): OnnxValue {
  const raw = tensorToRaw(t);
  return g.initializer(name, raw.data, raw.shape);
}

function asMap(vars: TfTensorsByName): Map<string, Tensor> {
  if (Array.isArray(vars)) return new Map((vars as readonly TfNamespace.Variable[]).map((v) => [v.name, v as Tensor]));
  return new Map(Object.entries(vars as Record<string, Tensor>));
}

/**
 * Looks up tensors by exact name, or by a unique name ending in `/name` (tfjs prefixes variable
 * names with their model's name).
 * @throws ModelFormatError naming the missing or ambiguous name and the names available
 */
export function tensorsByName(vars: TfTensorsByName, names: readonly string[]): Tensor[] {
  const map = asMap(vars);
  return names.map((n) => {
    const exact = map.get(n);
    if (exact) return exact;
    const hits = [...map.keys()].filter((k) => k.endsWith(`/${n}`));
    if (hits.length === 1) return map.get(hits[0]!)!;
    const avail = [...map.keys()].slice(0, 20).join(', ');
    throw new ModelFormatError(
      hits.length ? `tensor "${n}" is ambiguous: ${hits.join(', ')}` : `no tensor named "${n}" among ${map.size}: ${avail}${map.size > 20 ? ', …' : ''}`,
    );
  });
}

/**
 * Dense stack from variables named `<prefix>/kernel` and `<prefix>/bias` (bias optional), one
 * prefix per layer, with one activation per layer.
 */
export function denseStackFromVariables(vars: TfTensorsByName, prefixes: readonly string[], activations: readonly ActivationSpec[]): DenseWeights[] {
  if (activations.length !== prefixes.length) {
    throw new InvalidArgumentError(`denseStackFromVariables: ${prefixes.length} layers but ${activations.length} activations`);
  }
  const map = asMap(vars);
  const has = (n: string): boolean => map.has(n) || [...map.keys()].some((k) => k.endsWith(`/${n}`));
  return prefixes.map((p, k) => {
    const [kernel] = tensorsByName(vars, [`${p}/kernel`]);
    const layer: DenseWeights = { kernel: kernel!, activation: activations[k]! };
    if (has(`${p}/bias`)) layer.bias = tensorsByName(vars, [`${p}/bias`])[0]!;
    return layer;
  });
}

const KERAS_ACTIVATIONS: Record<string, OnnxActivation> = {
  linear: 'linear', relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softplus: 'softplus', elu: 'elu', softmax: 'softmax', exponential: 'exp',
};

function kerasActivation(name: unknown, layer: string): ActivationSpec {
  const a = KERAS_ACTIVATIONS[String(name ?? 'linear')];
  if (!a) throw new ModelFormatError(`layer ${layer}: activation "${String(name)}" has no ONNX export; supported: ${Object.keys(KERAS_ACTIVATIONS).join(', ')}`);
  return a;
}

/**
 * Dense stack from tfjs-layers layers in order: `Dense` layers, each optionally followed by an
 * activation layer (`ReLU`, `LeakyReLU`, `Activation`) that sets its activation.
 * @throws ModelFormatError for any other layer type
 */
export function denseStackFromLayers(layers: readonly TfLayerLike[]): DenseWeights[] {
  const out: DenseWeights[] = [];
  for (const layer of layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig();
    const prev = out[out.length - 1];
    const setAct = (a: ActivationSpec): void => {
      if (!prev || (prev.activation ?? 'linear') !== 'linear') throw new ModelFormatError(`denseStackFromLayers: ${cls} layer "${String(cfg.name)}" must follow a linear Dense layer`);
      prev.activation = a;
    };
    if (cls === 'Dense') {
      const [kernel, bias] = layer.getWeights();
      const d: DenseWeights = { kernel: kernel!, activation: kerasActivation(cfg.activation, String(cfg.name)) };
      if (bias) d.bias = bias;
      out.push(d);
    } else if (cls === 'ReLU') setAct('relu');
    else if (cls === 'LeakyReLU') setAct({ name: 'leakyRelu', alpha: Number(cfg.alpha ?? 0.3) });
    else if (cls === 'Activation') setAct(kerasActivation(cfg.activation, String(cfg.name)));
    else throw new ModelFormatError(`denseStackFromLayers: layer "${String(cfg.name)}" of class ${cls} is not a dense-stack layer (Dense, ReLU, LeakyReLU, Activation)`);
  }
  return out;
}

/** Appends a dense stack to the graph (initializers named `<prefix>_<k>_kernel|bias`); returns its output. */
export function exportDenseStack(g: OnnxGraphBuilder, x: OnnxValue, stack: readonly DenseWeights[], prefix = 'dense'): OnnxValue {
  let h = x;
  stack.forEach((layer, k) => {
    const W = initializerFromTf(g, g.uniqueName(`${prefix}_${k}_kernel`), layer.kernel);
    const b = layer.bias ? initializerFromTf(g, g.uniqueName(`${prefix}_${k}_bias`), layer.bias) : undefined;
    h = g.dense(h, W, b, layer.activation ?? 'linear');
  });
  return h;
}
