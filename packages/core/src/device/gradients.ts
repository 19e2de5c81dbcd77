/**
 * Gradients that tfjs-core 4.22 lacks or gets wrong, registered once for every backend:
 * transposed 3D convolution (Conv3DBackpropInputV2) and the filter gradient kernel, zero
 * gradients of comparisons (double backprop through leakyRelu, as in a WGAN gradient penalty,
 * Gulrajani et al. 2017, arXiv:1704.00028, eq. 3), GatherNd, FusedBatchNorm of any rank, Sum
 * and Mean as broadcasts (tfjs-core builds a ones tensor in JavaScript for them), and Tile as one
 * reshape and sum (tfjs-core's is a loop of one slice per repetition).
 * Each is checked against float64 finite differences in `patches.test.ts`.
 */
import { registerLeakyReluGradient } from './leaky-relu.js';
import { tf } from './tf.js';

type T = tf.Tensor;
type Conv3dAttrs = { strides: [number, number, number] | number; pad: 'valid' | 'same' };

function conv3dBackpropFilter(x: T, dy: T, filterShape: number[], attrs: Conv3dAttrs): T {
  return tf.engine().runKernel('Conv3DBackpropFilterV2', { x, dy }, { ...attrs, filterShape } as never) as T;
}

function conv3dBackpropInput(inputShape: number[], dy: T, filter: T, attrs: Conv3dAttrs): T {
  return tf.engine().runKernel('Conv3DBackpropInputV2', { dy, filter }, { ...attrs, inputShape } as never) as T;
}

/** Sums `t` over the axes along which `shape` was broadcast to `t.shape`, giving `shape`. */
function sumToShape(t: T, shape: number[]): T {
  const axes = tf.backend_util.getReductionAxes(shape, t.shape);
  return tf.reshape(axes.length ? tf.sum(t, axes, true) : t, shape);
}

/** conv3dTranspose(dy, W) = (∂ conv3d(x, W)/∂x)ᵀ dy; its adjoints are conv3d and the filter gradient. */
const conv3dBackpropInputGrad: tf.GradConfig = {
  kernelName: 'Conv3DBackpropInputV2',
  inputsToSave: ['dy', 'filter'],
  gradFunc: (ddx, saved, attrs) => {
    const [dy, filter] = saved as [T, T];
    const { strides, pad } = attrs as unknown as Conv3dAttrs;
    return {
      dy: () => tf.conv3d(ddx as tf.Tensor5D, filter as tf.Tensor5D, strides, pad),
      filter: () => conv3dBackpropFilter(ddx as T, dy, filter.shape, { strides, pad }),
    };
  },
};

/** The filter gradient F(x, dy) is bilinear; its adjoints are the input gradient and conv3d. */
const conv3dBackpropFilterGrad: tf.GradConfig = {
  kernelName: 'Conv3DBackpropFilterV2',
  inputsToSave: ['x', 'dy'],
  gradFunc: (ddw, saved, attrs) => {
    const [x, dy] = saved as [T, T];
    const { strides, pad } = attrs as unknown as Conv3dAttrs;
    return {
      x: () => conv3dBackpropInput(x.shape, dy, ddw as T, { strides, pad }),
      dy: () => tf.conv3d(x as tf.Tensor5D, ddw as tf.Tensor5D, strides, pad),
    };
  },
};

/** Comparisons are piecewise constant: their gradient is zero almost everywhere. */
function zeroGrad(kernelName: string): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: ['a', 'b'],
    gradFunc: (_dy, saved) => {
      const [a, b] = saved as [T, T];
      return { a: () => tf.zerosLike(a), b: () => tf.zerosLike(b) };
    },
  };
}

const gatherNdGrad: tf.GradConfig = {
  kernelName: 'GatherNd',
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy, saved) => {
    const [params, indices] = saved as [T, T];
    return {
      params: () => tf.scatterND(indices, dy as T, params.shape),
      indices: () => tf.zerosLike(indices),
    };
  },
};

/**
 * y = (x − mean)·scale·r + offset with r = (variance + ε)^(−1/2), for x of any rank (tfjs's own
 * gradient assumes rank ≤ 4 and fails on the rank-5 activations of 3D convolutional networks).
 */
const fusedBatchNormGrad: tf.GradConfig = {
  kernelName: 'FusedBatchNorm',
  // As in tfjs: the tape cannot hold an absent input, so tf.batchNorm is differentiable only when
  // given both `offset` and `scale` tensors (zeros and ones if unused); offset's gradient takes
  // the shape of `mean`, which is not saved separately.
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dyIn, saved, attrs) => {
    const dy = dyIn as T;
    const [x, mean, variance, scale] = saved as [T, T, T, T | undefined];
    const eps = (attrs as unknown as { varianceEpsilon: number }).varianceEpsilon;
    const r = tf.rsqrt(tf.add(variance, tf.scalar(eps)));
    const s = scale ?? tf.scalar(1);
    const centred = tf.sub(x, mean);
    const grads: Record<string, () => T> = {
      x: () => tf.mul(dy, tf.mul(s, r)),
      mean: () => sumToShape(tf.neg(tf.mul(dy, tf.mul(s, r))), mean.shape),
      variance: () =>
        sumToShape(tf.mul(tf.mul(dy, centred), tf.mul(s, tf.mul(tf.scalar(-0.5), tf.pow(r, tf.scalar(3))))), variance.shape),
    };
    if (scale) grads['scale'] = () => sumToShape(tf.mul(tf.mul(dy, centred), r), scale.shape);
    grads['offset'] = () => sumToShape(dy, mean.shape);
    return grads;
  },
};

/** dy of a reduction over `axis` of x, reshaped with the reduced axes kept as 1 and broadcast back to x's shape. */
function broadcastReduced(dy: T, x: T, axis: unknown): T {
  const axes = tf.util.parseAxisParam(axis as number | number[], x.shape);
  const kept = x.shape.slice();
  for (const a of axes) kept[a] = 1;
  return tf.broadcastTo(tf.reshape(dy, kept), x.shape);
}

/**
 * Sum and Mean: tfjs-core multiplies dy by `ones(x.shape)`, a tensor it fills in JavaScript and
 * copies to the backend on every backward pass (1.4 ms per CaloMan flow step on native
 * TensorFlow); a broadcast (one Tile kernel) gives the same values.
 */
const sumGrad: tf.GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [T];
    return { x: () => broadcastReduced(dy as T, x, (attrs as { axis: unknown }).axis) };
  },
};

const meanGrad: tf.GradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [T];
    const axis = (attrs as { axis: unknown }).axis;
    const size = tf.util.parseAxisParam(axis as number | number[], x.shape).reduce((n, a) => n * x.shape[a]!, 1);
    return { x: () => tf.div(broadcastReduced(dy as T, x, axis), size) };
  },
};

/**
 * Tile: tfjs-core adds one slice of dy per repetition (a loop of 2 × reps kernels: the broadcast
 * of Sum and Mean above, differentiated again in a gradient penalty, cost 2 744 slices per
 * per-channel LayerNorm of a 14³ activation). Here dy is reshaped so that each tiled axis splits
 * into (repetition, size), and summed over the repetitions: one reshape and one Sum.
 */
const tileGrad: tf.GradConfig = {
  kernelName: 'Tile',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [T];
    const reps = (attrs as unknown as { reps: number[] }).reps;
    return {
      x: () => {
        const split: number[] = [];
        const axes: number[] = [];
        x.shape.forEach((size, a) => {
          const r = reps[a] ?? 1;
          if (r === 1) split.push(size);
          else if (size === 1) {
            axes.push(split.length);
            split.push(r);
          } else {
            axes.push(split.length);
            split.push(r, size);
          }
        });
        return axes.length ? tf.reshape(tf.sum(tf.reshape(dy as T, split), axes), x.shape) : tf.reshape(dy as T, x.shape);
      },
    };
  },
};

const COMPARISONS = ['Greater', 'GreaterEqual', 'Less', 'LessEqual', 'Equal', 'NotEqual'];

/** Registers the gradients above; returns the kernel names whose gradient was (re)defined. */
export function registerMissingGradients(): string[] {
  const added: string[] = registerLeakyReluGradient();
  const always = [conv3dBackpropInputGrad, conv3dBackpropFilterGrad, fusedBatchNormGrad, sumGrad, meanGrad, tileGrad];
  const ifMissing = [gatherNdGrad, ...COMPARISONS.map(zeroGrad)];
  for (const config of always) {
    if (tf.getGradient(config.kernelName) !== config) {
      tf.registerGradient(config);
      added.push(config.kernelName);
    }
  }
  for (const config of ifMissing) {
    if (!tf.getGradient(config.kernelName)) {
      tf.registerGradient(config);
      added.push(config.kernelName);
    }
  }
  return added;
}
