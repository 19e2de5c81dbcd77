/**
 * What each TensorFlow.js backend can do correctly, as measured by the parity suite
 * (`parity.test.ts`) against the cpu backend.
 */
import type { TfBackendName } from './types.js';

/**
 * Whether 3D convolutions and their gradients run natively and correctly on a backend.
 * False for wasm: in tfjs-backend-wasm 4.22 Conv3DBackpropInputV2 is wrong for spatial size > 2
 * and Conv3DBackpropFilterV2 for strides > 1 (so conv3dTranspose and conv3d gradients are wrong).
 * `installTfPatches` routes those two kernels to the cpu implementation on wasm, which is
 * correct but no faster than cpu; 3D models should train on tensorflow or cpu.
 */
export function backendSupports3dConv(backend: TfBackendName | string): boolean {
  return backend !== 'wasm';
}
