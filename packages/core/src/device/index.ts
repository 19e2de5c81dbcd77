/** Public exports of the device layer. */
export { tf, tidyValues } from './tf.js';
export { ensureTfBackend, selectTfBackend } from './select-tf.js';
export { selectOrtProviders } from './select-ort.js';
export { installTfPatches, type TfPatchReport } from './patches.js';
export { setBackpropRelease } from './backprop-release.js';
export type { KernelFallback } from './kernel-fallbacks.js';
export { backendSupports3dConv } from './capabilities.js';
export { leakyReluDiff } from './leaky-relu.js';
export { withoutGradient } from './no-gradient.js';
export { customOp, customOpAvailable, type SaveForBackward } from './custom-op.js';
export { collectGarbage } from './gc.js';
export { dense, matMul2d, type DenseActivation } from './native-dense.js';
export { setTfVerbose } from './quiet.js';
export {
  TF_BACKEND_PRIORITY,
  ORT_PROVIDER_PRIORITY,
  type TfBackendName,
  type OrtProviderName,
  type DeviceLogger,
  type DeviceReport,
  type TfDeviceReport,
  type OrtDeviceReport,
  type TfRequirement,
  type SelectTfBackendOptions,
  type ThreadsSource,
  type SelectOrtProvidersOptions,
} from './types.js';
