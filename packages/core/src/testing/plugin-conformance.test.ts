/**
 * Runs the conformance suite on a tiny reference plugin built only from core's kit (layers,
 * training engine, model directory, ONNX builder): log(1 + 100·x/E) of each voxel is a Gaussian
 * whose mean is a Dense layer of log10(E) and whose σ is one learnt number per voxel. It trains,
 * so the suite's resume and save/load checks are exercised in core itself.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { pluginConformance } from './plugin-conformance.js';
import { getGeometry } from '../geometry/index.js';
import { Rng } from '../rng.js';
import { tf } from '../device/tf.js';
import { mergeConfig } from '../model/config-parse.js';
import { readModelConfig, writeModelConfig, MODEL_FORMAT_VERSION } from '../model/model-config.js';
import type { Generator, ModelPlugin, Trainable } from '../model/interfaces.js';
import type { Geometry } from '../geometry/types.js';
import type { Showers } from '../showers.js';
import { memorySource } from '../showers.js';
import { readSafetensors, writeSafetensors } from '../model-dir/safetensors.js';
import { Dense, namedValues, variableOf } from '../nn/index.js';
import { restoreVariables, shuffledRows, train } from '../train/index.js';
import { OnnxGraphBuilder } from '../onnx/builder.js';
import { createOrtSession } from '../onnx/session.js';

interface ToyConfig {
  learningRate: number;
  batchSize: number;
}
const DEFAULTS: ToyConfig = { learningRate: 0.02, batchSize: 64 };
const context = (e: number): number => Math.log10(e / 1000) - 1;

function toyModel(config: ToyConfig, geometry: Geometry): Generator & Trainable {
  const V = geometry.voxels;
  const net = new Dense(1, V, new Rng(1));
  const logSigma = variableOf(new Float32Array(V).fill(-1), [V]);
  const vars = { ...net.params(), logSigma };
  const tfjsRun = (c: Float32Array, eps: Float32Array, e: Float32Array): Float32Array =>
    tf.tidy(() => {
      const m = e.length;
      const y = tf.add(net.apply(tf.tensor2d(c, [m, 1])), tf.mul(tf.exp(logSigma), tf.tensor2d(eps, [m, V])));
      return tf.mul(tf.relu(tf.expm1(y)), tf.div(tf.tensor2d(e, [m, 1]), 100)).dataSync() as Float32Array;
    });
  const onnxRun = async (c: Float32Array, eps: Float32Array, e: Float32Array): Promise<Float32Array> => {
    const g = new OnnxGraphBuilder();
    const ci = g.input('c', 'float32', [null, 1]);
    const ei = g.input('eps', 'float32', [null, V]);
    const en = g.input('energy', 'float32', [null, 1]);
    const sigma = { data: Float32Array.from(logSigma.dataSync(), Math.exp), shape: [V] };
    const y = g.add(net.toOnnx(g, ci), g.mul(ei, sigma));
    g.output(g.mul(g.relu(g.sub(g.exp(y), 1)), g.div(en, 100)), 'showers');
    const s = await createOrtSession(g.toBytes(), { threads: 1 });
    try {
      const m = e.length;
      return (await s.run({ c: { data: c, dims: [m, 1] }, eps: { data: eps, dims: [m, V] }, energy: { data: e, dims: [m, 1] } }))['showers']!.data as Float32Array;
    } finally {
      await s.dispose();
    }
  };
  return {
    card: { plugin: 'toy-gaussian', pluginVersion: '0.0.1', geometry: geometry.id, conditions: ['energy'] },
    async generate(cond, options): Promise<Showers> {
      const n = cond.energy.length;
      const rng = new Rng(options.seed);
      // Noise in shower order, so the showers do not depend on the batch size.
      const eps = rng.fillNormal(new Float32Array(n * V)) as Float32Array;
      const values = new Float32Array(n * V);
      const batch = options.batchSize ?? 1000;
      for (let s = 0; s < n; s += batch) {
        const e = cond.energy.slice(s, Math.min(n, s + batch));
        const c = e.map(context);
        const part = eps.subarray(s * V, (s + e.length) * V);
        values.set(options.runtime === 'onnx' ? await onnxRun(c, part, e) : tfjsRun(c, part, e), s * V);
      }
      return { n, voxels: V, energy: Float32Array.from(cond.energy), values };
    },
    dispose() {
      net.dispose();
      logSigma.dispose();
    },
    async fit(data, options) {
      const all = await data.readRange(0, data.n);
      const nVal = Math.max(1, Math.round(all.n * (options.validationFraction ?? 0.2)));
      const y = new Float32Array(all.n * V);
      for (let i = 0; i < all.n * V; i++) y[i] = Math.log1p((100 * all.values[i]!) / all.energy[Math.floor(i / V)]!);
      const c = all.energy.map(context);
      const loss = (rows: ArrayLike<number>): tf.Scalar =>
        tf.tidy(() => {
          const m = rows.length;
          const yt = tf.tensor2d(Float32Array.from({ length: m * V }, (_, k) => y[rows[Math.floor(k / V)]! * V + (k % V)]!), [m, V]);
          const mu = net.apply(tf.tensor2d(Float32Array.from(rows, (r) => c[r]!), [m, 1]));
          // Gaussian negative log-likelihood per voxel (up to a constant).
          return tf.mean(tf.add(logSigma, tf.div(tf.square(tf.sub(yt, mu)), tf.mul(2, tf.exp(tf.mul(2, logSigma)))))) as tf.Scalar;
        });
      const val = Uint32Array.from({ length: nVal }, (_, i) => all.n - nVal + i);
      const r = await train(
        {
          name: 'toy-gaussian',
          stages: [
            {
              name: 'fit',
              phase: () => ({
                name: 'fit',
                optimizers: [{ name: 'main', vars, learningRate: config.learningRate }],
                updates: [{ optimizer: 'main', loss: (rows: Uint32Array) => loss(rows) }],
                data: shuffledRows(all.n - nVal, config.batchSize),
                maxEpochs: 20,
                validate: () => tf.tidy(() => loss(val).dataSync()[0]!),
              }),
            },
          ],
          weights: () => namedValues(vars),
          setWeights: (w) => restoreVariables(vars, w),
        },
        options,
      );
      return { history: r.history, seconds: r.seconds, stoppedBy: r.stoppedBy, trainSize: all.n - nVal, validationSize: nVal };
    },
    async save(dir) {
      await fs.mkdir(path.join(dir, 'net'), { recursive: true });
      await writeSafetensors(path.join(dir, 'net', 'weights.safetensors'), namedValues(vars));
      await writeModelConfig(dir, {
        plugin: 'toy-gaussian',
        pluginVersion: '0.0.1',
        formatVersion: MODEL_FORMAT_VERSION,
        geometry: geometry.id,
        conditions: ['energy'],
        preprocessing: {},
        components: { net: 'net/' },
        config,
      });
    },
    // The loader's hook: restores saved weights.
    ...{ setWeights: async (dir: string) => restoreVariables(vars, (await readSafetensors(path.join(dir, 'net', 'weights.safetensors'))).tensors) },
  } as Generator & Trainable;
}

const toy: ModelPlugin<ToyConfig> = {
  name: 'toy-gaussian',
  version: '0.0.1',
  description: 'log(1 + 100·x/E) per voxel ~ N(Dense(log10 E), σ²); for testing the conformance suite',
  geometries: 'any',
  defaultConfig: () => ({ ...DEFAULTS }),
  parseConfig: (raw, source) => mergeConfig({ ...DEFAULTS }, raw, source),
  create: async (config, geometry) => toyModel(config, geometry),
  load: async (dir) => {
    const cfg = await readModelConfig<ToyConfig>(dir);
    const m = toyModel(cfg.config, getGeometry(cfg.geometry));
    await (m as unknown as { setWeights(d: string): Promise<void> }).setWeights(dir);
    return m;
  },
};

const geometry = getGeometry('ds1-photons');
const rng = new Rng(5);
const n = 400;
const energy = Float32Array.from({ length: n }, () => 1000 * 2 ** (1 + 9 * rng.uniform()));
const values = new Float32Array(n * geometry.voxels);
for (let i = 0; i < values.length; i++) values[i] = rng.uniform() < 0.5 ? 0 : (rng.exponential() * energy[Math.floor(i / geometry.voxels)]!) / 500;

pluginConformance({ plugin: toy, geometry, config: { ...DEFAULTS }, data: memorySource({ n, voxels: geometry.voxels, energy, values }), fit: { seed: 1, epochs: 3 } });
