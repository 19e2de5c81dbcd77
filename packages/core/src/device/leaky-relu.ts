/**
 * Leaky ReLU with a second derivative on every backend (needed by the WGAN-GP penalty, Gulrajani
 * et al. 2017, arXiv:1704.00028, eq. 3, when the critic uses leaky ReLUs), cheap enough for
 * double backprop through 3D convolutional critics.
 *
 * tfjs 4.22 differentiates LeakyRelu as where(x > 0, dy, α·dy), which double backprop expands
 * into Greater, Select and zero-filled tensors. calozoo registers instead one kernel for the
 * first derivative, `CalozooLeakyReluGrad`(dy, x) = dy·(x > 0 ? 1 : α): TensorFlow's own fused
 * LeakyReluGrad op on the native backend, the where() formula elsewhere. It is linear in dy, so
 * its gradient is itself (w.r.t. dy) and zero (w.r.t. x, piecewise constant). Same values as
 * tfjs's gradient, α at x = 0 included; checked against finite differences in patches.test.ts.
 * Relu's gradient is the same kernel with α = 0 (tfjs: dy·step(x), where tfjs-node's Step is six
 * ops: IsNan, Greater, two fills, Select, Select); unlike step, it gives 0, not NaN, at x = NaN.
 */
import { floatAttr, type NativeBackend } from './native-backend.js';
import { tf } from './tf.js';

/** Name of the registered kernel dy·(x > 0 ? 1 : α). */
export const LEAKY_RELU_GRAD = 'CalozooLeakyReluGrad';

/** Backends (tfjs names) that get the generic kernel; 'tensorflow' gets the native op. */
const GENERIC_BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'];

type T = tf.Tensor;
type Alpha = { alpha: number };

/** dy·(x > 0 ? 1 : α) from basic ops (runs inside a kernel, so nothing is recorded). */
function gradFromOps(dy: T, x: T, alpha: number): T {
  return tf.tidy(() => tf.where(tf.greater(x, tf.scalar(0, x.dtype)), dy, tf.mul(dy, tf.scalar(alpha, dy.dtype))));
}

const genericKernel = (backendName: string): tf.KernelConfig => ({
  kernelName: LEAKY_RELU_GRAD,
  backendName,
  kernelFunc: ({ inputs, attrs }) => gradFromOps(inputs['dy'] as T, inputs['x'] as T, (attrs as unknown as Alpha).alpha),
});

const nativeKernel: tf.KernelConfig = {
  kernelName: LEAKY_RELU_GRAD,
  backendName: 'tensorflow',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const dy = inputs['dy'] as T, x = inputs['x'] as T;
    const { alpha } = attrs as unknown as Alpha;
    if (dy.dtype !== 'float32' || x.dtype !== 'float32') return gradFromOps(dy, x, alpha);
    const native = backend as unknown as NativeBackend;
    return native.executeSingleOutput('LeakyReluGrad', [floatAttr(native, 'T'), { name: 'alpha', type: native.binding['TF_ATTR_FLOAT']!, value: alpha }], [dy, x]);
  },
};

/** dy·(x > 0 ? 1 : α) through the registered kernel (recorded, so differentiable again). */
export function leakyReluGrad(dy: T, x: T, alpha: number): T {
  if (!tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend())) return gradFromOps(dy, x, alpha);
  return tf.engine().runKernel(LEAKY_RELU_GRAD, { dy, x }, { alpha } as never) as T;
}

const leakyReluGradConfig: tf.GradConfig = {
  kernelName: 'LeakyRelu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [T];
    return { x: () => leakyReluGrad(dy as T, x, (attrs as unknown as Alpha).alpha) };
  },
};

/** Relu's gradient dy·(x > 0) is the same kernel with α = 0 (tfjs's dy·step(x) is six ops on tfjs-node). */
const reluGradConfig: tf.GradConfig = {
  kernelName: 'Relu',
  inputsToSave: ['x'],
  gradFunc: (dy, saved) => {
    const [x] = saved as [T];
    return { x: () => leakyReluGrad(dy as T, x, 0) };
  },
};

const leakyReluGradGradConfig: tf.GradConfig = {
  kernelName: LEAKY_RELU_GRAD,
  inputsToSave: ['x'],
  gradFunc: (ddx, saved, attrs) => {
    const [x] = saved as [T];
    return {
      dy: () => leakyReluGrad(ddx as T, x, (attrs as unknown as Alpha).alpha),
      x: () => tf.zerosLike(x),
    };
  },
};

/** Registers the LeakyRelu/Relu gradient kernels and gradients (idempotent); returns kernel names whose gradient it set. */
export function registerLeakyReluGradient(): string[] {
  for (const backendName of GENERIC_BACKENDS) {
    if (!tf.getKernel(LEAKY_RELU_GRAD, backendName)) tf.registerKernel(genericKernel(backendName));
  }
  if (!tf.getKernel(LEAKY_RELU_GRAD, 'tensorflow')) tf.registerKernel(nativeKernel);
  const set: string[] = [];
  for (const config of [leakyReluGradConfig, reluGradConfig, leakyReluGradGradConfig]) {
    if (tf.getGradient(config.kernelName) !== config) {
      tf.registerGradient(config);
      set.push(config.kernelName);
    }
  }
  return set;
}

/** Leaky ReLU (`a` the negative slope, e.g. 0.2) with a cheap second derivative on every backend. */
export function leakyReluDiff<R extends tf.Rank>(x: tf.Tensor<R>, a: number): tf.Tensor<R> {
  registerLeakyReluGradient();
  return tf.leakyRelu(x, a);
}
