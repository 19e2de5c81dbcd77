/**
 * The two benchmark networks in TensorFlow.js, mirrored layer for layer in torch_nets.py:
 *  - a dense VAE for CaloChallenge dataset 1 photons (368 voxels): encoder 368+1 → 512 → 512 →
 *    512 → 2·35, decoder 35+1 → 512 → 512 → 512 → 368, MSE + KL, Adam, batch 256;
 *  - a 30³ WGAN-GP (Gulrajani et al. 2017, arXiv:1704.00028): generator 100+1 → dense 4³×160 →
 *    convT 8³×96 → convT 16³×32 → convT 32³×16 (batch norm + leaky ReLU after each) → conv3d
 *    valid → 30³×1 (~1.56M parameters); critic conv3d s2 30³→15³×32 → 8³×64 → 4³×128 →
 *    dense (8192+1) → 48 → 1 (~0.67M parameters); one critic step with gradient penalty
 *    (λ = 10) plus one generator step per training step, Adam, batch 32.
 * Weights are Glorot-uniform-like from a seeded generator; the numbers are about speed only.
 * The optimizer is calozoo's Adam (`@calozoo/core`: TensorFlow's fused ResourceApplyAdam on the
 * native backend), as the model plugins use it, when the caller passes its class; else TF.js's
 * `tf.train.adam`.
 */

/** Small seeded uniform generator so the benchmark needs no tfjs RNG state. */
function uniform(n, scale, seed) {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 * 2 - 1) * scale;
  }
  return out;
}

let created = 0;

function makeParams(tf, specs, seed) {
  return Object.fromEntries(
    specs.map(([name, shape, fanIn], i) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const values = fanIn ? uniform(size, Math.sqrt(6 / fanIn), seed + i) : new Float32Array(size).fill(name.startsWith('gg') ? 1 : 0);
      return [name, tf.variable(tf.tensor(values, shape), true, `${name}_${seed}_${++created}`)];
    }),
  );
}

const count = (params) => Object.values(params).reduce((a, v) => a + v.size, 0);

/** A minimize(loss) step returning the loss value: calozoo's Adam over the named params when `Adam` is given, else tf.train.adam. */
function optimizer(tf, Adam, params, lr, beta1 = 0.9, beta2 = 0.999) {
  if (!Adam) {
    const opt = tf.train.adam(lr, beta1, beta2);
    return (loss) => opt.minimize(loss, true, Object.values(params)).dataSync()[0];
  }
  const adam = new Adam(params, { beta1, beta2, epsilonMode: 'pytorch' });
  return (loss) => adam.minimize(loss, lr);
}

/** Dense VAE 368 → 512³ → 35 → 512³ → 368; returns { params, step() }. */
export function denseVae(tf, batch = 256, Adam = undefined) {
  const enc = [369, 512, 512, 512, 70], dec = [36, 512, 512, 512, 368];
  const specs = [];
  enc.slice(1).forEach((n, i) => specs.push([`ew${i}`, [enc[i], n], enc[i]], [`eb${i}`, [n], 0]));
  dec.slice(1).forEach((n, i) => specs.push([`dw${i}`, [dec[i], n], dec[i]], [`db${i}`, [n], 0]));
  const p = makeParams(tf, specs, 1);
  const x = tf.tensor2d(uniform(batch * 368, 1, 7).map(Math.abs), [batch, 368]);
  const e = tf.tensor2d(uniform(batch, 1, 8).map(Math.abs), [batch, 1]);
  const noise = tf.randomNormal([batch, 35], 0, 1, 'float32', 9);
  const minimize = optimizer(tf, Adam, p, 1e-4);
  const mlp = (h, prefix, layers, last) => {
    for (let i = 0; i < layers; i++) {
      h = tf.add(tf.matMul(h, p[`${prefix}w${i}`]), p[`${prefix}b${i}`]);
      if (i < layers - 1) h = tf.leakyRelu(h, 0.2);
    }
    return last(h);
  };
  const loss = () => {
    const stats = mlp(tf.concat([x, e], 1), 'e', 4, (h) => h);
    const mu = tf.slice(stats, [0, 0], [batch, 35]);
    const logVar = tf.slice(stats, [0, 35], [batch, 35]);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logVar, 0.5)), noise));
    const xr = mlp(tf.concat([z, e], 1), 'd', 4, tf.sigmoid);
    const kl = tf.mul(-0.5, tf.mean(tf.sum(tf.sub(tf.add(1, logVar), tf.add(tf.square(mu), tf.exp(logVar))), 1)));
    return tf.add(tf.mean(tf.squaredDifference(x, xr)), kl);
  };
  return {
    params: count(p),
    batch,
    step: () => tf.tidy(() => minimize(loss)),
  };
}

/** 30³ WGAN-GP training step (critic with gradient penalty, then generator); returns { params, step() }. */
export function wganGp(tf, leakyReluDiff, batch = 32, Adam = undefined) {
  const k = 27;
  const g = makeParams(tf, [
    ['gw0', [101, 4 * 4 * 4 * 160], 101], ['gb0', [10240], 0],
    ['gt1', [3, 3, 3, 96, 160], k * 160], ['gb1', [96], 0], ['gg1', [96], 0], ['gbeta1', [96], 0],
    ['gt2', [3, 3, 3, 32, 96], k * 96], ['gb2', [32], 0], ['gg2', [32], 0], ['gbeta2', [32], 0],
    ['gt3', [3, 3, 3, 16, 32], k * 32], ['gb3', [16], 0], ['gg3', [16], 0], ['gbeta3', [16], 0],
    ['gc4', [3, 3, 3, 16, 1], k * 16], ['gb4', [1], 0],
  ], 100);
  const c = makeParams(tf, [
    ['c1', [3, 3, 3, 1, 32], k], ['cb1', [32], 0],
    ['c2', [3, 3, 3, 32, 64], k * 32], ['cb2', [64], 0],
    ['c3', [3, 3, 3, 64, 128], k * 64], ['cb3', [128], 0],
    ['cw4', [8193, 48], 8193], ['cb4', [48], 0],
    ['cw5', [48, 1], 48], ['cb5', [1], 0],
  ], 200);
  const real = tf.tensor(uniform(batch * 27000, 1, 11).map(Math.abs), [batch, 30, 30, 30, 1]);
  const energy = tf.tensor2d(uniform(batch, 1, 12).map(Math.abs), [batch, 1]);
  const latent = tf.randomNormal([batch, 100], 0, 1, 'float32', 13);
  const eps = tf.reshape(tf.tensor1d(uniform(batch, 1, 14).map(Math.abs)), [batch, 1, 1, 1, 1]);
  const bnLrelu = (h, i) => {
    const { mean, variance } = tf.moments(h, [0, 1, 2, 3]);
    return tf.leakyRelu(tf.batchNorm(h, mean, variance, g[`gbeta${i}`], g[`gg${i}`], 1e-3), 0.2);
  };
  const generate = () => {
    let h = tf.leakyRelu(tf.add(tf.matMul(tf.concat([latent, energy], 1), g.gw0), g.gb0), 0.2);
    h = tf.reshape(h, [batch, 4, 4, 4, 160]);
    h = bnLrelu(tf.add(tf.conv3dTranspose(h, g.gt1, [batch, 8, 8, 8, 96], 2, 'same'), g.gb1), 1);
    h = bnLrelu(tf.add(tf.conv3dTranspose(h, g.gt2, [batch, 16, 16, 16, 32], 2, 'same'), g.gb2), 2);
    h = bnLrelu(tf.add(tf.conv3dTranspose(h, g.gt3, [batch, 32, 32, 32, 16], 2, 'same'), g.gb3), 3);
    return tf.relu(tf.add(tf.conv3d(h, g.gc4, 1, 'valid'), g.gb4));
  };
  const critic = (x) => {
    let h = leakyReluDiff(tf.add(tf.conv3d(x, c.c1, 2, 'same'), c.cb1), 0.2);
    h = leakyReluDiff(tf.add(tf.conv3d(h, c.c2, 2, 'same'), c.cb2), 0.2);
    h = leakyReluDiff(tf.add(tf.conv3d(h, c.c3, 2, 'same'), c.cb3), 0.2);
    h = tf.concat([tf.reshape(h, [batch, 8192]), energy], 1);
    h = leakyReluDiff(tf.add(tf.matMul(h, c.cw4), c.cb4), 0.2);
    return tf.add(tf.matMul(h, c.cw5), c.cb5);
  };
  const minimizeC = optimizer(tf, Adam, c, 1e-4, 0.5, 0.9);
  const minimizeG = optimizer(tf, Adam, g, 1e-4, 0.5, 0.9);
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
    step: () =>
      tf.tidy(() => {
        const lc = minimizeC(criticLoss);
        const lg = minimizeG(generatorLoss);
        return lc + lg;
      }),
  };
}
