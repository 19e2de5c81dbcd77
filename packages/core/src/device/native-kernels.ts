/**
 * Kernels of the native TensorFlow backend (tfjs-node) that calozoo wraps:
 *  - FusedBatchNorm: tfjs-node hands inputs of any rank to TensorFlow's FusedBatchNorm, whose
 *    oneDNN kernel (on with TF_ENABLE_ONEDNN_OPTS=1, see native-tuning.ts) accepts rank 4 only;
 *    inputs of other ranks are reshaped to [1, 1, rows, channels] and back (batch norm with
 *    given mean and variance is per channel, so this is exact).
 *  - Cast and Reshape: tfjs-core's gradients cast float32 to float32 and reshape to the same shape
 *    on every product and sum (tfjs-core 4.22's mul/add/sub/div gradients), and tfjs-node sends
 *    each of those to TensorFlow (~10–20 µs a call; a 4-coupling spline-flow training step made
 *    ~560 such calls). When nothing changes, the wrapped kernels return the input's data with its
 *    reference count raised, as tfjs-node's own Identity kernel does; otherwise they call the
 *    original kernel.
 */
import type { NativeBackend } from './native-backend.js';
import { tf } from './tf.js';

const BACKEND = 'tensorflow';
const installed = new Set<string>();

/** FusedBatchNorm for any rank on top of tfjs-node's rank-4 kernel. */
function anyRankBatchNorm(own: tf.KernelConfig): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs['x'] as tf.Tensor;
    const mean = args.inputs['mean'] as tf.Tensor;
    if (x.rank === 4 || mean.rank > 1 || x.rank < 1) return own.kernelFunc(args);
    return tf.tidy(() => {
      const channels = x.shape[x.rank - 1]!;
      const x4 = tf.reshape(x, [1, 1, x.size / Math.max(channels, 1), channels]);
      const y = own.kernelFunc({ ...args, inputs: { ...args.inputs, x: x4 } }) as tf.Tensor;
      return tf.reshape(y, x.shape);
    });
  };
  return { kernelName: own.kernelName, backendName: BACKEND, kernelFunc };
}

/** The input itself (reference count raised) when `unchanged`, else the original kernel's result. */
function shortcut(own: tf.KernelConfig, unchanged: (x: tf.TensorInfo, attrs: tf.NamedAttrMap) => boolean): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs['x'] as tf.TensorInfo;
    if (!unchanged(x, args.attrs ?? {})) return own.kernelFunc(args);
    (args.backend as unknown as NativeBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  return { kernelName: own.kernelName, backendName: BACKEND, kernelFunc };
}

/** True when `shape` (a reshape target, possibly with one −1) equals `x.shape`. */
function sameShape(x: tf.TensorInfo, shape: unknown): boolean {
  if (!Array.isArray(shape) || shape.length !== x.shape.length) return false;
  return shape.every((d, i) => d === x.shape[i]);
}

const WRAPPERS: Record<string, (own: tf.KernelConfig) => tf.KernelConfig> = {
  FusedBatchNorm: anyRankBatchNorm,
  Cast: (own) => shortcut(own, (x, a) => a['dtype'] === x.dtype),
  Reshape: (own) => shortcut(own, (x, a) => sameShape(x, a['shape'])),
};

/** Wraps the native backend's kernels listed above (once); returns the kernel names wrapped now. */
export function installNativeKernels(): string[] {
  if (!tf.findBackendFactory(BACKEND)) return [];
  const done: string[] = [];
  for (const [name, wrap] of Object.entries(WRAPPERS)) {
    const own = tf.getKernel(name, BACKEND);
    if (!own || installed.has(name)) continue;
    tf.unregisterKernel(name, BACKEND);
    tf.registerKernel(wrap(own));
    installed.add(name);
    done.push(name);
  }
  return done;
}
