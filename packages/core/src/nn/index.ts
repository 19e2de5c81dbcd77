/** Public exports of the layer kit. */
export {
  type Layer,
  type Init,
  uniformValues,
  initBound,
  variableOf,
  activate,
  tensorToRaw,
  rawComputed,
  cachedWeight,
  namedValues,
  prefixed,
} from './layer.js';
export {
  Dense,
  Conv3d,
  ConvTranspose3d,
  BatchNorm,
  LayerNorm,
  Activation,
  Reshape,
  Sequential,
  type DenseOptions,
  type Conv3dOptions,
  type ConvTranspose3dOptions,
  type BatchNormOptions,
  type LayerNormOptions,
} from './layers.js';
