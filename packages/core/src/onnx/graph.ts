/**
 * The bookkeeping half of the ONNX graph builder: names, graph inputs, initializers, nodes,
 * outputs, and serialisation to an ONNX `ModelProto` (onnx/docs/IR.md: a model holds one
 * graph whose nodes are topologically sorted, its initializers and typed inputs/outputs).
 * Op methods live in `ops.ts`, composite layers in `builder.ts`.
 */
import { InvalidArgumentError } from '../errors.js';
import { calozooVersion } from '../io/attributes.js';
import { ONNX_ATTRIBUTE_TYPE, ONNX_DATA_TYPE, irVersionForOpset, modelProtoType } from './schema.js';
import { sizeOf } from './shapes.js';
import type {
  OnnxAttribute,
  OnnxDType,
  OnnxDim,
  OnnxGraphBuilderOptions,
  OnnxModelMetadata,
  OnnxShape,
  OnnxTensorData,
  OnnxValue,
  WeightLike,
} from './types.js';

interface NodeRecord {
  op_type: string;
  name: string;
  input: string[];
  output: string[];
  attribute: Record<string, unknown>[];
}

interface Declared {
  name: string;
  dtype: OnnxDType;
  dims: readonly OnnxDim[] | OnnxShape | undefined;
}

function dtypeOf(data: OnnxTensorData): OnnxDType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Int8Array) return 'int8';
  return 'uint8';
}

function attributeProto(name: string, a: OnnxAttribute): Record<string, unknown> {
  const T = ONNX_ATTRIBUTE_TYPE;
  if ('f' in a) return { name, type: T.FLOAT, f: a.f };
  if ('i' in a) return { name, type: T.INT, i: a.i };
  if ('s' in a) return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
  if ('floats' in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  if ('ints' in a) return { name, type: T.INTS, ints: [...a.ints] };
  return { name, type: T.STRINGS, strings: a.strings.map((s) => new TextEncoder().encode(s)) };
}

function valueInfo(d: Declared): Record<string, unknown> {
  const tensor: Record<string, unknown> = { elem_type: ONNX_DATA_TYPE[d.dtype] };
  if (d.dims) {
    tensor.shape = {
      dim: d.dims.map((x) => (typeof x === 'number' ? { dim_value: x } : typeof x === 'string' ? { dim_param: x } : {})),
    };
  }
  return { name: d.name, type: { tensor_type: tensor } };
}

/** Base of `OnnxGraphBuilder`: declares inputs, initializers, nodes and outputs and serialises them. */
export class OnnxGraphCore {
  /** Opset version of the default domain. */
  readonly opset: number;
  /** Graph name. */
  readonly name: string;
  private readonly names = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly nodes: NodeRecord[] = [];
  private readonly inputs: Declared[] = [];
  private readonly outputs: Declared[] = [];
  private readonly initializers: Record<string, unknown>[] = [];
  private initializerBytes = 0;

  /** Starts an empty graph for `options.opset` (default 17). */
  constructor(options: OnnxGraphBuilderOptions = {}) {
    this.opset = options.opset ?? 17;
    if (!Number.isInteger(this.opset) || this.opset < 13 || this.opset > 21) {
      throw new InvalidArgumentError(`OnnxGraphBuilder: opset ${this.opset} is not supported; use 13–21 (default 17).`);
    }
    this.name = options.name ?? 'calozoo';
  }

  /** Number of nodes so far. */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /** Total bytes of initializer data so far. */
  get weightBytes(): number {
    return this.initializerBytes;
  }

  /** Returns a fresh name `prefix`, `prefix_1`, … not used yet in this graph. */
  uniqueName(prefix: string): string {
    let n = this.counters.get(prefix) ?? 0;
    let name = n === 0 ? prefix : `${prefix}_${n}`;
    while (this.names.has(name)) name = `${prefix}_${++n}`;
    this.counters.set(prefix, n + 1);
    return name;
  }

  private claim(name: string, what: string): void {
    if (!name) throw new InvalidArgumentError(`OnnxGraphBuilder: ${what} needs a non-empty name`);
    if (this.names.has(name)) throw new InvalidArgumentError(`OnnxGraphBuilder: the name "${name}" is already used in this graph`);
    this.names.add(name);
  }

  /** Declares a graph input; `null` or a string in `shape` is a dynamic (symbolic) dimension. */
  input(name: string, dtype: OnnxDType, shape: readonly OnnxDim[]): OnnxValue {
    this.claim(name, 'an input');
    this.inputs.push({ name, dtype, dims: shape });
    return { name, dtype, shape: shape.map((d) => (typeof d === 'number' ? d : null)) };
  }

  /** Adds a constant tensor (weights) stored in the model; the name must be unique. */
  initializer(name: string, data: OnnxTensorData, shape: readonly number[], dtype: OnnxDType = dtypeOf(data)): OnnxValue {
    if (shape.some((d) => !Number.isInteger(d) || d < 0) || sizeOf(shape) !== data.length) {
      throw new InvalidArgumentError(
        `OnnxGraphBuilder.initializer("${name}"): shape [${shape.join(', ')}] holds ${sizeOf(shape)} values but data has ${data.length}`,
      );
    }
    if (dtype === 'bool' && !(data instanceof Uint8Array)) throw new InvalidArgumentError(`initializer("${name}"): bool data must be a Uint8Array`);
    this.claim(name, 'an initializer');
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
    this.initializers.push({ name, dims: [...shape], data_type: ONNX_DATA_TYPE[dtype], raw_data: bytes });
    this.initializerBytes += bytes.byteLength;
    return { name, dtype, shape: [...shape] };
  }

  /** Adds a constant under an automatic name (`const_N` or `prefix_N`). */
  constant(data: OnnxTensorData, shape: readonly number[], prefix = 'const'): OnnxValue {
    return this.initializer(this.uniqueName(prefix), data, shape);
  }

  /** A float32 (or other dtype) scalar constant. */
  scalar(value: number, dtype: 'float32' | 'float64' | 'int64' | 'int32' = 'float32'): OnnxValue {
    const data =
      dtype === 'float32' ? Float32Array.of(value) : dtype === 'float64' ? Float64Array.of(value) : dtype === 'int32' ? Int32Array.of(value) : BigInt64Array.of(BigInt(value));
    return this.constant(data, [], 'scalar');
  }

  /** A 1-D int64 constant (shapes, axes, starts, …). */
  int64s(values: readonly number[], prefix = 'ints'): OnnxValue {
    return this.constant(BigInt64Array.from(values, (v) => BigInt(v)), [values.length], prefix);
  }

  /** Turns raw weights into an initializer (automatic name from `prefix`); passes values through. */
  weight(w: WeightLike, prefix = 'w'): OnnxValue {
    return 'data' in w ? this.constant(w.data, w.shape, prefix) : w;
  }

  /**
   * Appends a node of any ONNX operator (escape hatch for ops without a method); returns its
   * outputs with the given dtype and shapes. An empty string in `inputs` is an omitted optional input.
   */
  node(
    opType: string,
    inputs: readonly (OnnxValue | '')[],
    attributes: Readonly<Record<string, OnnxAttribute | undefined>> = {},
    outputs: readonly { dtype: OnnxDType; shape?: OnnxShape | undefined }[] = [{ dtype: 'float32' }],
  ): OnnxValue[] {
    const nodeName = this.uniqueName(opType);
    const outs = outputs.map((o, k) => {
      const name = this.uniqueName(outputs.length === 1 ? `${nodeName}_out` : `${nodeName}_out${k}`);
      this.names.add(name);
      return o.shape ? { name, dtype: o.dtype, shape: o.shape } : { name, dtype: o.dtype };
    });
    this.nodes.push({
      op_type: opType,
      name: nodeName,
      input: inputs.map((x) => (x === '' ? '' : x.name)),
      output: outs.map((o) => o.name),
      attribute: Object.entries(attributes)
        .filter((e): e is [string, OnnxAttribute] => e[1] !== undefined)
        .map(([k, a]) => attributeProto(k, a)),
    });
    return outs;
  }

  /** Marks `value` as a graph output, renamed to `name` (through Identity) when given. */
  output(value: OnnxValue, name?: string): OnnxValue {
    let v = value;
    if (name !== undefined && name !== value.name) {
      this.claim(name, 'an output');
      this.nodes.push({ op_type: 'Identity', name: this.uniqueName('Identity'), input: [value.name], output: [name], attribute: [] });
      v = value.shape ? { name, dtype: value.dtype, shape: value.shape } : { name, dtype: value.dtype };
    }
    if (this.outputs.some((o) => o.name === v.name)) throw new InvalidArgumentError(`OnnxGraphBuilder.output: "${v.name}" is already an output`);
    this.outputs.push({ name: v.name, dtype: v.dtype, dims: v.shape });
    return v;
  }

  /** The `ModelProto` as a plain object (field names as in onnx.proto). */
  toModelObject(metadata: OnnxModelMetadata = {}): Record<string, unknown> {
    if (this.outputs.length === 0) throw new InvalidArgumentError('OnnxGraphBuilder: the graph has no outputs; call output() first');
    return {
      ir_version: irVersionForOpset(this.opset),
      opset_import: [{ domain: '', version: this.opset }],
      producer_name: metadata.producerName ?? 'calozoo',
      producer_version: metadata.producerVersion ?? calozooVersion(),
      doc_string: metadata.docString ?? '',
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
      metadata_props: Object.entries(metadata.props ?? {}).map(([key, value]) => ({ key, value: String(value) })),
    };
  }

  /** Serialises the model to ONNX protobuf bytes. */
  toBytes(metadata: OnnxModelMetadata = {}): Uint8Array {
    const type = modelProtoType();
    const obj = this.toModelObject(metadata);
    const problem = type.verify(obj);
    if (problem) throw new InvalidArgumentError(`OnnxGraphBuilder: invalid ModelProto (${problem}); this is a bug in the builder`);
    return type.encode(type.fromObject(obj)).finish();
  }
}
