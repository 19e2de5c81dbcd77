/**
 * Dense layers and 2-D matrix products with few TensorFlow calls on the native backend.
 *
 * tfjs-core 4.22 runs every `tf.matMul` of two matrices as a batched product: both inputs are
 * reshaped to rank 3 and the result back (four TensorFlow calls where one would do), and
 * tfjs-node's `_FusedMatMul` is itself a product, a broadcast bias addition and the activation as
 * separate TensorFlow.js ops; the gradients then repeat the reshapes and build ReLU's step in six
 * ops. A training step of a small flow pays ~15–20 µs of JavaScript and binding cost per call.
 * Here a dense layer is one kernel, `CalozooDense` (TensorFlow's BatchMatMulV2 on matrices, BiasAdd
 * and Relu), and a product of matrices is one kernel, `CalozooMatMul` (with transpose flags); their
 * gradients are written with the same kernels (so they are differentiable again: double
 * backprop) and TensorFlow's BiasAddGrad. Other backends use tfjs-core's ops unchanged.
 * Checked against finite differences and the tfjs ops in patches.test.ts.
 */
import { leakyReluGrad, registerLeakyReluGradient } from './leaky-relu.js';
import { boolAttr, floatAttr, nativeOpsAvailable, type NativeBackend } from './native-backend.js';
import { tf } from './tf.js';

/** Name of the registered native matrix-product kernel. */
export const MATMUL_2D = 'CalozooMatMul';
/** Name of the registered native dense-layer kernel. */
export const DENSE = 'CalozooDense';
/** Name of the registered native bias-gradient kernel (column sums of a matrix). */
const BIAS_GRAD = 'CalozooBiasAddGrad';

type T = tf.Tensor;
type MatMulAttrs = { transposeA: boolean; transposeB: boolean };
type DenseAttrs = { activation: DenseActivation };

/** Activation fused into `dense`. */
export type DenseActivation = 'linear' | 'relu';

const BACKEND = 'tensorflow';

/**
 * a·b through TensorFlow's BatchMatMulV2 on matrices (rank 2 is allowed and as fast as MatMul
 * here). Not the MatMul op: with a long inner dimension and a small result (the weight gradient
 * xᵀ·dy), TensorFlow 2.21's MatMul corrupted the heap of a process interrupted by signals (a run
 * under `node --cpu-prof` aborted with "corrupted size vs. prev_size"); BatchMatMulV2 did not.
 */
function nativeMatMul(be: NativeBackend, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): T {
  return be.executeSingleOutput('BatchMatMulV2', [floatAttr(be, 'T'), boolAttr(be, 'adj_x', transposeA), boolAttr(be, 'adj_y', transposeB)], [a, b]);
}

const matMulKernel: tf.KernelConfig = {
  kernelName: MATMUL_2D,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
    return nativeMatMul(backend as unknown as NativeBackend, inputs['a']!, inputs['b']!, transposeA, transposeB);
  },
};

const denseKernel: tf.KernelConfig = {
  kernelName: DENSE,
  backendName: BACKEND,
  kernelFunc: ({ inputs, attrs, backend }) => {
    const be = backend as unknown as NativeBackend;
    const product = nativeMatMul(be, inputs['x']!, inputs['w']!, false, false);
    const biased = be.executeSingleOutput('BiasAdd', [floatAttr(be, 'T')], [product, inputs['b']!]);
    product.dispose();
    if ((attrs as unknown as DenseAttrs).activation !== 'relu') return biased;
    const y = be.executeSingleOutput('Relu', [floatAttr(be, 'T')], [biased]);
    biased.dispose();
    return y;
  },
};

const biasGradKernel: tf.KernelConfig = {
  kernelName: BIAS_GRAD,
  backendName: BACKEND,
  kernelFunc: ({ inputs, backend }) => {
    const be = backend as unknown as NativeBackend;
    return be.executeSingleOutput('BiasAddGrad', [floatAttr(be, 'T')], [inputs['dy']!]);
  },
};

/** a·b on two float32 matrices through the native kernel (no rank-3 detour). */
function runMatMul(a: T, b: T, transposeA: boolean, transposeB: boolean): T {
  return tf.engine().runKernel(MATMUL_2D, { a, b }, { transposeA, transposeB } as never) as T;
}

const matMulGrad: tf.GradConfig = {
  kernelName: MATMUL_2D,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [T, T];
    const g = dy as T;
    const { transposeA, transposeB } = attrs as unknown as MatMulAttrs;
    if (!transposeA && !transposeB) return { a: () => runMatMul(g, b, false, true), b: () => runMatMul(a, g, true, false) };
    if (!transposeA && transposeB) return { a: () => runMatMul(g, b, false, false), b: () => runMatMul(g, a, true, false) };
    if (transposeA && !transposeB) return { a: () => runMatMul(b, g, false, true), b: () => runMatMul(a, g, false, false) };
    return { a: () => runMatMul(b, g, true, true), b: () => runMatMul(g, a, true, true) };
  },
};

/** Column sums of dy [n, m] → [m] (TensorFlow's BiasAddGrad). */
function runBiasGrad(dy: T): T {
  return tf.engine().runKernel(BIAS_GRAD, { dy }, {}) as T;
}

const biasGradGrad: tf.GradConfig = {
  kernelName: BIAS_GRAD,
  inputsToSave: ['dy'],
  gradFunc: (ddb, saved) => {
    const [dy] = saved as [T];
    return { dy: () => tf.add(tf.zerosLike(dy), ddb as T) };
  },
};

const denseGrad: tf.GradConfig = {
  kernelName: DENSE,
  inputsToSave: ['x', 'w'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, w, y] = saved as [T, T, T];
    const relu = (attrs as unknown as DenseAttrs).activation === 'relu';
    // ReLU's derivative from the output: y > 0 exactly where the pre-activation is > 0. Computed
    // once here (tracked by the backward pass's scope), not in each input's closure.
    const g = relu ? leakyReluGrad(dy as T, y!, 0) : (dy as T);
    return { x: () => runMatMul(g, w, false, true), w: () => runMatMul(x, g, true, false), b: () => runBiasGrad(g) };
  },
};

const installed = { done: false };

/** Registers the native kernels and their gradients (idempotent; none without tfjs-node); returns the kernel names registered now. */
export function registerNativeDense(): string[] {
  if (installed.done || !tf.findBackendFactory(BACKEND)) return [];
  registerLeakyReluGradient();
  const done: string[] = [];
  for (const k of [matMulKernel, denseKernel, biasGradKernel]) {
    if (tf.getKernel(k.kernelName, BACKEND)) continue;
    tf.registerKernel(k);
    done.push(k.kernelName);
  }
  for (const g of [matMulGrad, denseGrad, biasGradGrad]) tf.registerGradient(g);
  installed.done = true;
  return done;
}

/** Whether the native kernels apply to these float32 matrices on the active backend. */
function nativeFor(...ts: T[]): boolean {
  return installed.done && nativeOpsAvailable() && ts.every((t) => t.dtype === 'float32');
}

/** a·b of two matrices (transposed as asked): one TensorFlow call on the native backend, `tf.matMul` elsewhere. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D, transposeA = false, transposeB = false): tf.Tensor2D {
  if (a.rank !== 2 || b.rank !== 2 || !nativeFor(a, b)) return tf.matMul(a, b, transposeA, transposeB);
  return runMatMul(a, b, transposeA, transposeB) as tf.Tensor2D;
}

/** x·W + b with an optional ReLU for x [n, in], W [in, out], b [out]: one kernel on the native backend, `tf.fused.matMul` elsewhere. */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, activation: DenseActivation = 'linear'): tf.Tensor2D {
  if (x.rank !== 2 || w.rank !== 2 || b.rank !== 1 || !nativeFor(x, w, b)) return tf.fused.matMul({ a: x, b: w, bias: b, activation }) as tf.Tensor2D;
  return tf.engine().runKernel(DENSE, { x, w, b }, { activation } as never) as tf.Tensor2D;
}
