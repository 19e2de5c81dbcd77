/**
 * The two benchmark networks, built from calozoo's layer kit (`@calozoo/core`, the built dist/:
 * Dense, Conv3d, ConvTranspose3d, BatchNorm…, as the model plugins build theirs) and mirrored
 * layer for layer in torch_nets.py:
 *  - a dense VAE for CaloChallenge dataset 1 photons (368 voxels): encoder 368+1 → 512 → 512 →
 *    512 → 2·35, decoder 35+1 → 512 → 512 → 512 → 368, MSE + KL, Adam, batch 256;
 *  - a 30³ WGAN-GP (Gulrajani et al. 2017, arXiv:1704.00028): generator 100+1 → dense 4³×160 →
 *    convT 8³×96 → convT 16³×32 → convT 32³×16 (batch norm + leaky ReLU after each) → conv3d
 *    valid → 30³×1 (~1.56M parameters); critic conv3d s2 30³→15³×32 → 8³×64 → 4³×128 →
 *    dense (8192+1) → 48 → 1 (~0.67M parameters); one critic step with gradient penalty
 *    (λ = 10) plus one generator step per training step, Adam, batch 32.
 * Weights start as PyTorch's (the kit's default), from a seeded generator; the numbers are about
 * speed only. The optimizer is calozoo's Adam (TensorFlow's fused ResourceApplyAdam on the native
 * backend) unless `tfjsAdam` is set, then TF.js's `tf.train.adam`.
 * Needs the built core (`npx nx run @calozoo/core:build`).
 */
import { Activation, Adam, BatchNorm, Conv3d, ConvTranspose3d, Dense, Reshape, Rng, Sequential, prefixed, tf } from '@calozoo/core';

/** Small seeded uniform generator for the input data. */
function uniform(n, scale, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 * 2 - 1) * scale;
  }
  return out;
}

const count = (params) => Object.values(params).reduce((a, v) => a + v.size, 0);
const leaky = { name: 'leakyRelu', alpha: 0.2 };

/** A minimize(loss) step returning the loss value: calozoo's Adam over the named params, or tf.train.adam with `tfjsAdam`. */
function optimizer(params, lr, tfjsAdam, beta1 = 0.9, beta2 = 0.999) {
  if (tfjsAdam) {
    const opt = tf.train.adam(lr, beta1, beta2);
    return (loss) => opt.minimize(loss, true, Object.values(params)).dataSync()[0];
  }
  const adam = new Adam(params, { beta1, beta2, epsilonMode: 'pytorch' });
  return (loss) => adam.minimize(loss, lr);
}

/** Dense layers sizes[0] → … → sizes[-1], leaky ReLU between them and `last` after the final one. */
const mlp = (sizes, last, rng) => new Sequential(sizes.slice(1).map((n, i) => new Dense(sizes[i], n, rng, { activation: i < sizes.length - 2 ? leaky : last })));

/** Dense VAE 368 → 512³ → 35 → 512³ → 368; returns { params, batch, step() }. */
export function denseVae(batch = 256, tfjsAdam = false) {
  const rng = new Rng(1);
  const enc = mlp([369, 512, 512, 512, 70], 'linear', rng);
  const dec = mlp([36, 512, 512, 512, 368], 'sigmoid', rng);
  const p = { ...prefixed('encoder', enc.params()), ...prefixed('decoder', dec.params()) };
  const x = tf.tensor2d(uniform(batch * 368, 1, 7).map(Math.abs), [batch, 368]);
  const e = tf.tensor2d(uniform(batch, 1, 8).map(Math.abs), [batch, 1]);
  const noise = tf.randomNormal([batch, 35], 0, 1, 'float32', 9);
  const minimize = optimizer(p, 1e-4, tfjsAdam);
  const loss = () => {
    const stats = enc.apply(tf.concat([x, e], 1));
    const mu = tf.slice(stats, [0, 0], [batch, 35]);
    const logVar = tf.slice(stats, [0, 35], [batch, 35]);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), noise));
    const xr = dec.apply(tf.concat([z, e], 1));
    const kl = tf.mul(-0.5, tf.mean(tf.sum(tf.sub(tf.add(1, logVar), tf.add(tf.square(mu), tf.exp(logVar))), 1)));
    return tf.add(tf.mean(tf.squaredDifference(x, xr)), kl);
  };
  return { params: count(p), batch, step: () => tf.tidy(() => minimize(loss)) };
}

/** 30³ WGAN-GP training step (critic with gradient penalty, then generator); returns { params, batch, step() }. */
export function wganGp(batch = 32, tfjsAdam = false) {
  const rng = new Rng(2);
  const up = (i, o) => [new ConvTranspose3d(i, o, 3, rng, { stride: 2, padding: 1, outputPadding: 1 }), new BatchNorm(o, { epsilon: 1e-3 }), new Activation(leaky)];
  const gen = new Sequential([
    new Dense(101, 4 * 4 * 4 * 160, rng, { activation: leaky }), new Reshape([4, 4, 4, 160]),
    ...up(160, 96), ...up(96, 32), ...up(32, 16), new Conv3d(16, 1, 3, rng, { activation: 'relu' }),
  ]);
  const down = (i, o) => new Conv3d(i, o, 3, rng, { stride: 2, padding: 1, activation: leaky });
  const conv = new Sequential([down(1, 32), down(32, 64), down(64, 128), new Reshape([8192])]);
  const head = mlp([8193, 48, 1], 'linear', rng);
  const g = gen.params();
  const c = { ...prefixed('conv', conv.params()), ...prefixed('head', head.params()) };
  const real = tf.tensor(uniform(batch * 27000, 1, 11).map(Math.abs), [batch, 30, 30, 30, 1]);
  const energy = tf.tensor2d(uniform(batch, 1, 12).map(Math.abs), [batch, 1]);
  const latent = tf.randomNormal([batch, 100], 0, 1, 'float32', 13);
  const eps = tf.reshape(tf.tensor1d(uniform(batch, 1, 14).map(Math.abs)), [batch, 1, 1, 1, 1]);
  // Batch statistics in the generator's batch norms (training mode), as PyTorch's train().
  const generate = () => gen.apply(tf.concat([latent, energy], 1), true);
  const critic = (x) => head.apply(tf.concat([conv.apply(x), energy], 1));
  const minimizeC = optimizer(c, 1e-4, tfjsAdam, 0.5, 0.9);
  const minimizeG = optimizer(g, 1e-4, tfjsAdam, 0.5, 0.9);
  const criticLoss = () => {
    const fake = generate();
    const mixed = tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake));
    const grad = tf.grad((m) => tf.sum(critic(m)))(mixed);
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(grad), [1, 2, 3, 4]), 1e-12));
    const gp = tf.mul(10, tf.mean(tf.square(tf.sub(norm, 1))));
    return tf.add(tf.sub(tf.mean(critic(fake)), tf.mean(critic(real))), gp);
  };
  const generatorLoss = () => tf.neg(tf.mean(critic(generate())));
  return {
    params: { generator: count(g), critic: count(c) },
    batch,
    step: () => tf.tidy(() => minimizeC(criticLoss) + minimizeG(generatorLoss)),
  };
}
