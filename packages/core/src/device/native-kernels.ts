/**
 * Kernels of the native TensorFlow backend (tfjs-node) that calozoo wraps:
 *  - FusedBatchNorm: tfjs-node hands inputs of any rank to TensorFlow's FusedBatchNorm, whose
 *    oneDNN kernel (on with TF_ENABLE_ONEDNN_OPTS=1, see native-tuning.ts) accepts rank 4 only;
 *    inputs of other ranks are reshaped to [1, 1, rows, channels] and back (batch norm with
 *    given mean and variance is per channel, so this is exact).
 */
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

/** Wraps the native backend's kernels listed above (once); returns the kernel names wrapped now. */
export function installNativeKernels(): string[] {
  if (!tf.findBackendFactory(BACKEND)) return [];
  const done: string[] = [];
  const own = tf.getKernel('FusedBatchNorm', BACKEND);
  if (own && !installed.has('FusedBatchNorm')) {
    tf.unregisterKernel('FusedBatchNorm', BACKEND);
    tf.registerKernel(anyRankBatchNorm(own));
    installed.add('FusedBatchNorm');
    done.push('FusedBatchNorm');
  }
  return done;
}
