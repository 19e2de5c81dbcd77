/**
 * Types of the ONNX graph builder: element types, symbolic values and attributes.
 */

/** Element types the builder can declare (ONNX `TensorProto.DataType`). */
export type OnnxDType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'uint8' | 'int8';

/** One dimension of a declared input: a size, `null` (dynamic, e.g. batch) or a symbolic name. */
export type OnnxDim = number | string | null;

/** Statically known shape of a value; `null` marks a dimension known only at run time. */
export type OnnxShape = readonly (number | null)[];

/** A tensor in a graph under construction (graph input, initializer or node output). */
export interface OnnxValue {
  /** Unique name of the value in the graph. */
  readonly name: string;
  /** Element type. */
  readonly dtype: OnnxDType;
  /** Shape when the builder could infer it, else undefined. */
  readonly shape?: OnnxShape;
}

/** Typed arrays accepted as initializer data. */
export type OnnxTensorData = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;

/** Raw weights that ops accept in place of an initializer value (registered under an automatic name). */
export interface RawTensor {
  /** Values, row-major. */
  readonly data: OnnxTensorData;
  /** Shape; the product must equal data.length. */
  readonly shape: readonly number[];
}

/** An initializer value or raw weights. */
export type WeightLike = OnnxValue | RawTensor;

/** A node attribute value, tagged with its ONNX attribute type. */
export type OnnxAttribute =
  | { readonly f: number }
  | { readonly i: number }
  | { readonly s: string }
  | { readonly floats: readonly number[] }
  | { readonly ints: readonly number[] }
  | { readonly strings: readonly string[] };

/** Activation functions understood by `dense` and the TF.js exporters. */
export type OnnxActivation = 'linear' | 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'softplus' | 'exp' | 'elu' | 'softmax';

/** An activation with its parameter (`alpha` for leakyRelu and elu). */
export type ActivationSpec = OnnxActivation | { readonly name: OnnxActivation; readonly alpha?: number };

/** Options of `new OnnxGraphBuilder(...)`. */
export interface OnnxGraphBuilderOptions {
  /** Opset of the default ONNX domain; default 17 (LayerNormalization needs ≥ 17). */
  opset?: number;
  /** Graph name stored in the model; default "calozoo". */
  name?: string;
}

/** Strings stored in the model's `metadata_props` and header fields. */
export interface OnnxModelMetadata {
  /** Producer name; default "calozoo". */
  producerName?: string;
  /** Producer version; default core's version. */
  producerVersion?: string;
  /** Free-text description stored as the model doc string. */
  docString?: string;
  /** Key/value pairs stored as `metadata_props` (plugin, geometry, seed, …). */
  props?: Readonly<Record<string, string | number | boolean>>;
}
