/**
 * ONNX export and generation runtime: a typed graph builder over the ONNX protobuf schema,
 * TF.js → ONNX helpers, the sub-pixel ConvTranspose3d rewrite, an onnxruntime-node session
 * wrapper, and the sharding/merging helpers of `generate --shard k/N`.
 */
export { OnnxGraphBuilder, type SubPixelOptions } from './builder.js';
export { OnnxGraphCore } from './graph.js';
export { OnnxOps, type ConvOptions, type ConvTransposeOptions, type Operand } from './ops.js';
export type {
  OnnxDType,
  OnnxDim,
  OnnxShape,
  OnnxValue,
  OnnxTensorData,
  RawTensor,
  WeightLike,
  OnnxAttribute,
  OnnxActivation,
  ActivationSpec,
  OnnxGraphBuilderOptions,
  OnnxModelMetadata,
} from './types.js';
export { writeOnnx, readOnnxInfo, type OnnxModelInfo } from './write.js';
export { ONNX_PROTO_SUBSET, onnxRoot, irVersionForOpset } from './schema.js';
export { subPixelPlan, subPixelWeights, type SubPixelSpec, type SubPixelDimPlan } from './subpixel.js';
export {
  tensorToRaw,
  initializerFromTf,
  tensorsByName,
  denseStackFromVariables,
  denseStackFromLayers,
  exportDenseStack,
  type DenseWeights,
  type TfLayerLike,
  type TfTensorsByName,
} from './tfjs-export.js';
export { createOrtSession, type OrtSession, type OrtSessionOptions, type OrtTensorData, type OrtArray } from './session.js';
export { shardRange, parseShard, ATTR_SHARD, type ShardSpec } from './shard.js';
export { mergeShowerFiles, type MergeShowerFilesOptions, type MergeShowerFilesResult } from './merge.js';
