/**
 * Small reference networks for the backend-parity suite: a dense VAE-like MLP, a conv3dTranspose
 * generator (4³ → 8³ → 16³) with rank-5 batch normalisation, and a conv3d critic trained with the
 * WGAN gradient penalty (Gulrajani et al. 2017, arXiv:1704.00028, eq. 3). Weights and inputs are
 * deterministic float32 arrays so every backend computes the same function.
 */
import { leakyReluDiff } from '../leaky-relu.js';
import { tf } from '../tf.js';
import { randomArr } from './reference.js';

/** A network: named parameter shapes, and a loss of the parameter tensors (in that order). */
export interface RefNet {
  name: string;
  params: [string, number[]][];
  loss: (p: tf.Tensor[]) => tf.Scalar;
}

/** Deterministic parameter and input values, scaled by 1/√fan-in. */
function values(shape: number[], seed: number): Float32Array {
  const fanIn = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1;
  return Float32Array.from(randomArr(shape, seed).data, (v) => v / Math.sqrt(fanIn));
}

const input = (shape: number[], seed: number) => tf.tensor(Float32Array.from(randomArr(shape, seed).data), shape);
const dense = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
const lrelu = (x: tf.Tensor) => tf.leakyRelu(x, 0.2);

/** Dense VAE 40 → 64 → (latent 4) → 64 → 40: reconstruction MSE + KL divergence. */
export const denseVae: RefNet = {
  name: 'dense VAE',
  params: [['w1', [40, 64]], ['b1', [64]], ['w2', [64, 8]], ['b2', [8]], ['w3', [4, 64]], ['b3', [64]], ['w4', [64, 40]], ['b4', [40]]],
  loss: (p) => {
    const [w1, b1, w2, b2, w3, b3, w4, b4] = p as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const x = tf.sigmoid(input([16, 40], 101));
    const stats = dense(lrelu(dense(x, w1, b1)), w2, b2);
    const mu = tf.slice(stats, [0, 0], [16, 4]);
    const logVar = tf.slice(stats, [0, 4], [16, 4]);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), input([16, 4], 102)));
    const xr = tf.sigmoid(dense(lrelu(dense(z, w3, b3)), w4, b4));
    const kl = tf.mul(-0.5, tf.mean(tf.sum(tf.sub(tf.add(1, logVar), tf.add(tf.square(mu), tf.exp(logVar))), 1)));
    return tf.add(tf.mean(tf.squaredDifference(x, xr)), kl) as tf.Scalar;
  },
};

/** Generator z(8) → dense → 4³×8 → convT → 8³×8 (batchNorm, lrelu) → convT → 16³×4 → conv3d → 16³×1. */
export const convGenerator: RefNet = {
  name: 'conv3dTranspose generator',
  params: [['wd', [8, 512]], ['bd', [512]], ['t1', [3, 3, 3, 8, 8]], ['gamma', [8]], ['beta', [8]], ['t2', [3, 3, 3, 4, 8]], ['c3', [3, 3, 3, 4, 1]]],
  loss: (p) => {
    const [wd, bd, t1, gamma, beta, t2, c3] = p as [tf.Tensor, tf.Tensor, tf.Tensor5D, tf.Tensor1D, tf.Tensor1D, tf.Tensor5D, tf.Tensor5D];
    const h0 = tf.reshape(lrelu(dense(input([2, 8], 103), wd, bd)), [2, 4, 4, 4, 8]) as tf.Tensor5D;
    const h1 = tf.conv3dTranspose(h0, t1, [2, 8, 8, 8, 8], 2, 'same');
    const { mean, variance } = tf.moments(h1, [0, 1, 2, 3]);
    const h1n = lrelu(tf.batchNorm(h1, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, 1e-3)) as tf.Tensor5D;
    const h2 = lrelu(tf.conv3dTranspose(h1n, t2, [2, 16, 16, 16, 4], 2, 'same')) as tf.Tensor5D;
    const out = tf.relu(tf.conv3d(h2, c3, 1, 'same'));
    return tf.mean(tf.mul(out, input(out.shape, 104))) as tf.Scalar;
  },
};

/** Critic 8³×1 → conv3d s2 → 4³×8 → conv3d s2 → 2³×16 → dense → 1, with leaky ReLUs. */
function critic(x: tf.Tensor, c1: tf.Tensor, c2: tf.Tensor, wd: tf.Tensor, bd: tf.Tensor): tf.Tensor {
  const h1 = leakyReluDiff(tf.conv3d(x as tf.Tensor5D, c1 as tf.Tensor5D, 2, 'same'), 0.2);
  const h2 = lrelu(tf.conv3d(h1, c2 as tf.Tensor5D, 2, 'same'));
  return dense(tf.reshape(h2, [x.shape[0]!, -1]), wd, bd);
}

/** WGAN-GP critic loss: D(fake) − D(real) + λ (‖∇ₓD(x̂)‖ − 1)², x̂ between real and fake. */
export const gpCritic: RefNet = {
  name: 'conv3d critic with gradient penalty',
  params: [['c1', [3, 3, 3, 1, 8]], ['c2', [3, 3, 3, 8, 16]], ['wd', [128, 1]], ['bd', [1]]],
  loss: (p) => {
    const [c1, c2, wd, bd] = p as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    const real = tf.relu(input([3, 8, 8, 8, 1], 105));
    const fake = tf.relu(input([3, 8, 8, 8, 1], 106));
    const eps = tf.reshape(tf.tensor1d([0.25, 0.5, 0.8]), [3, 1, 1, 1, 1]);
    const mixed = tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake));
    const g = tf.grad((x: tf.Tensor) => tf.sum(critic(x, c1, c2, wd, bd)))(mixed);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), [1, 2, 3, 4]), 1e-12));
    const gp = tf.mul(10, tf.mean(tf.square(tf.sub(norm, 1))));
    const wasserstein = tf.sub(tf.mean(critic(fake, c1, c2, wd, bd)), tf.mean(critic(real, c1, c2, wd, bd)));
    return tf.add(wasserstein, gp) as tf.Scalar;
  },
};

/** Loss value and gradients of every parameter, as plain arrays, on the active backend. */
export function lossAndGrads(net: RefNet): { loss: number; grads: Float32Array[] } {
  return tf.tidy(() => {
    const params = net.params.map(([, shape], i) => tf.tensor(values(shape, 1000 + i), shape));
    const { value, grads } = tf.valueAndGrads((...p: tf.Tensor[]) => net.loss(p))(params);
    return { loss: value.dataSync()[0]!, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}
