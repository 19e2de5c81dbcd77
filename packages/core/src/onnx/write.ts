/**
 * Writing and reading ONNX model files.
 */
import { promises as fs } from 'node:fs';
import { ModelFormatError } from '../errors.js';
import { writeFileAtomic } from '../model-dir/atomic.js';
import type { OnnxGraphCore } from './graph.js';
import { modelProtoType } from './schema.js';
import type { OnnxModelMetadata } from './types.js';

/** Serialises `builder`'s graph and writes it to `path` atomically (temporary sibling + rename). */
export async function writeOnnx(path: string, builder: OnnxGraphCore, metadata: OnnxModelMetadata = {}): Promise<void> {
  await writeFileAtomic(path, builder.toBytes(metadata));
}

/** Summary of an ONNX file: header fields, opsets, graph inputs/outputs and metadata. */
export interface OnnxModelInfo {
  /** `ir_version` of the model. */
  irVersion: number;
  /** Opset of the default domain. */
  opset: number;
  /** `producer_name`. */
  producerName: string;
  /** `producer_version`. */
  producerVersion: string;
  /** Graph input names. */
  inputs: string[];
  /** Graph output names. */
  outputs: string[];
  /** Number of nodes. */
  nodeCount: number;
  /** Distinct operator types, sorted. */
  opTypes: string[];
  /** `metadata_props` as a record. */
  props: Record<string, string>;
}

/** Decodes ONNX bytes (or a file) into a summary; a file that does not decode is a ModelFormatError. */
export async function readOnnxInfo(pathOrBytes: string | Uint8Array): Promise<OnnxModelInfo> {
  const name = typeof pathOrBytes === 'string' ? pathOrBytes : '<bytes>';
  let m: any;
  try {
    const bytes = typeof pathOrBytes === 'string' ? await fs.readFile(pathOrBytes) : pathOrBytes;
    const type = modelProtoType();
    m = type.toObject(type.decode(bytes), { longs: Number, defaults: true });
  } catch (cause) {
    throw new ModelFormatError(`${name}: not a readable ONNX model (${(cause as Error).message}). Re-run \`calozoo export\`.`, { cause });
  }
  const nodes = (m.graph?.node ?? []) as { op_type: string }[];
  return {
    irVersion: m.ir_version,
    opset: (m.opset_import as { domain: string; version: number }[]).find((o) => !o.domain)?.version ?? 0,
    producerName: m.producer_name,
    producerVersion: m.producer_version,
    inputs: (m.graph?.input ?? []).map((v: { name: string }) => v.name),
    outputs: (m.graph?.output ?? []).map((v: { name: string }) => v.name),
    nodeCount: nodes.length,
    opTypes: [...new Set(nodes.map((n) => n.op_type))].sort(),
    props: Object.fromEntries((m.metadata_props ?? []).map((e: { key: string; value: string }) => [e.key, e.value])),
  };
}
