/**
 * Fixes the gaps of tfjs-core 4.22 once, for every backend loaded so far: missing or wrong
 * gradients (`gradients.ts`) and missing or wrong kernels (`kernel-fallbacks.ts`).
 * `selectTfBackend` calls it; call it yourself after activating a backend by hand.
 */
import { installBackpropRelease } from './backprop-release.js';
import { registerMissingGradients } from './gradients.js';
import { installCpuFallbacks, type KernelFallback } from './kernel-fallbacks.js';
import { registerNativeDense } from './native-dense.js';
import { installNativeKernels } from './native-kernels.js';

/** What `installTfPatches` changed in this call (empty lists when already installed). */
export interface TfPatchReport {
  /** Kernels whose gradient was registered or replaced. */
  gradients: string[];
  /** Kernels routed to the cpu implementation on another backend. */
  kernels: KernelFallback[];
  /** Native TensorFlow kernels wrapped by calozoo (`native-kernels.ts`). */
  native: string[];
  /** Whether this call installed the early release of backward-pass tensors (`backprop-release.ts`). */
  backpropRelease: boolean;
}

const BACKENDS_WITH_GAPS = ['wasm', 'tensorflow'];

/** Installs calozoo's TensorFlow.js gradient and kernel patches; idempotent. */
export function installTfPatches(): TfPatchReport {
  const gradients = registerMissingGradients();
  const kernels = BACKENDS_WITH_GAPS.flatMap((b) => installCpuFallbacks(b));
  const native = [...installNativeKernels(), ...registerNativeDense()];
  const backpropRelease = installBackpropRelease();
  return { gradients, kernels, native, backpropRelease };
}
