/**
 * ONNX: a typed graph builder over the ONNX protobuf schema, the sub-pixel ConvTranspose3d
 * rewrite and an onnxruntime-node session wrapper (the layer kit in `nn/` writes its layers with
 * the builder).
 */
export { OnnxGraphBuilder, type SubPixelOptions, type PhaseForm } from './builder.js';
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
export { createOrtSession, type OrtSession, type OrtSessionOptions, type OrtTensorData, type OrtArray } from './session.js';
