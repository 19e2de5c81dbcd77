import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ConfigError, ModelFormatError, Rng, readSafetensors, selectTfBackend, writeSafetensors, InvalidArgumentError } from '@calozoo/core';
import { Flow } from './flow.js';
import { FLOW_FORMAT_VERSION, parseFlowConfig, type FlowConfig } from './config.js';
import { couplingSplinePreset, autoregressiveSplinePreset } from './presets.js';
import { perturbVariables } from './testing.js';

const dir = mkdtempSync(join(tmpdir(), 'calozoo-flows-'));
beforeAll(async () => {
  await selectTfBackend({ backend: 'cpu' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const small: FlowConfig = {
  formatVersion: FLOW_FORMAT_VERSION,
  dim: 3,
  contextDim: 2,
  seed: 5,
  layers: [
    { type: 'actnorm' },
    { type: 'coupling', identityFeatures: 'even', transform: { kind: 'rqs', bins: 4, tailBound: 2 }, hiddenFeatures: 8, numBlocks: 1 },
    { type: 'permutation', indices: [2, 0, 1] },
    { type: 'lu-linear' },
    { type: 'autoregressive', transform: { kind: 'affine' }, hiddenFeatures: 8, numBlocks: 1 },
    { type: 'batch-norm', momentum: 0.1, eps: 1e-5 },
    { type: 'elementwise', transform: { kind: 'rqs', bins: 4, tailBound: 2 }, hiddenFeatures: 8 },
  ],
};

describe('Flow', () => {
  it('logProb of a single elementwise affine layer equals the Gaussian it defines', () => {
    const flow = new Flow({ formatVersion: 1, dim: 2, contextDim: 0, seed: 0, layers: [{ type: 'elementwise', transform: { kind: 'affine' }, hiddenFeatures: 1 }] });
    // params [u, t] per feature: z = x·s + t with s = sigmoid(u + 2) + 1e-3, so x ~ N(−t/s, 1/s²).
    flow.variables()['layers.0.params'].assign(tf.tensor2d([[0.5, 1], [-1, -0.5]]));
    const s = [1 / (1 + Math.exp(-2.5)) + 1e-3, 1 / (1 + Math.exp(-1)) + 1e-3];
    const t = [1, -0.5];
    const x = [
      [0.3, -1.2],
      [2, 0.7],
    ];
    const lp = flow.logProb(tf.tensor2d(x)).dataSync();
    x.forEach((row, i) => {
      let ref = 0;
      row.forEach((v, j) => {
        const z = v * s[j] + t[j];
        ref += -0.5 * z * z - 0.5 * Math.log(2 * Math.PI) + Math.log(s[j]);
      });
      expect(lp[i]).toBeCloseTo(ref, 5);
    });
  });

  it('sampleAndLogProb returns the same log-density as logProb on its samples', () => {
    const flow = new Flow(small);
    perturbVariables(flow.bijector, new Rng(1), 0.1);
    const ctx = tf.tensor2d([[0.3, -0.4]]);
    const { x, logProb } = flow.sampleAndLogProb(64, new Rng(2), ctx);
    expect(x.shape).toEqual([64, 3]);
    const again = flow.logProb(x, ctx).dataSync();
    logProb.dataSync().forEach((v, i) => expect(Math.abs(v - again[i])).toBeLessThan(1e-3));
    // Same seed, same samples.
    expect(flow.sample(64, new Rng(2), ctx).dataSync()).toEqual(x.dataSync());
  });

  it('saves config.json + weights.safetensors and loads an identical flow', async () => {
    const flow = new Flow(small);
    perturbVariables(flow.bijector, new Rng(3), 0.1);
    const target = join(dir, 'flow');
    await flow.save(target);
    const loaded = await Flow.load(target);
    expect(loaded.config).toEqual(flow.config);
    const x = tf.randomNormal([16, 3], 0, 1, 'float32', 4) as tf.Tensor2D;
    const c = tf.randomNormal([16, 2], 0, 1, 'float32', 5) as tf.Tensor2D;
    expect(loaded.logProb(x, c).dataSync()).toEqual(flow.logProb(x, c).dataSync());
    const { tensors, metadata } = await readSafetensors(join(target, 'weights.safetensors'));
    expect(metadata.format).toBe('calozoo-flow');
    expect(Object.keys(tensors)).toContain('layers.1.conditioner.initial.weight');
    expect(Object.keys(tensors)).toContain('layers.5.runningVar');
  });

  it('refuses weights that do not match the config, naming the tensor', async () => {
    const flow = new Flow(small);
    const target = join(dir, 'broken');
    await flow.save(target);
    const { tensors } = await readSafetensors(join(target, 'weights.safetensors'));
    delete tensors['layers.3.bias'];
    await writeSafetensors(join(target, 'weights.safetensors'), tensors);
    await expect(Flow.load(target)).rejects.toThrow(ModelFormatError);
    await expect(Flow.load(target)).rejects.toThrow(/layers\.3\.bias/);
    await expect(Flow.load(join(dir, 'missing'))).rejects.toThrow(ModelFormatError);
  });

  it('leaks no tensors: calls return only their outputs and dispose() frees every weight', () => {
    const before = tf.memory().numTensors;
    const flow = new Flow(small);
    const ctx = tf.tensor2d([[0.1, 0.2]]);
    const during = tf.memory().numTensors;
    const lp = flow.logProb(tf.zeros([4, 3]) as tf.Tensor2D, tf.tile(ctx, [4, 1]) as tf.Tensor2D);
    const s = flow.sampleAndLogProb(4, new Rng(1), ctx);
    // zeros, tile, logProb output, and the sample's two outputs.
    expect(tf.memory().numTensors - during).toBe(5);
    tf.dispose([lp, s.x, s.logProb, ctx]);
    flow.dispose();
    expect(tf.memory().numTensors - before).toBe(2);
  });

  it('validates configs and arguments', () => {
    expect(() => parseFlowConfig({ ...small, extra: 1 }, 'cfg.json')).toThrow(/cfg\.json: unknown key "extra"/);
    expect(() => parseFlowConfig({ ...small, formatVersion: 99 }, 'cfg.json')).toThrow(ConfigError);
    expect(() => parseFlowConfig({ ...small, layers: [{ type: 'coupling', identityFeatures: 'even', transform: { kind: 'cubic' }, hiddenFeatures: 8, numBlocks: 1 }] })).toThrow(/Valid choices are: affine, rqs/);
    expect(() => parseFlowConfig({ ...small, layers: [{ type: 'permutation', indices: [0, 0, 1] }] })).toThrow(/permutation of 0\.\.2/);
    const flow = new Flow(small);
    expect(() => flow.logProb(tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(/needs a context/);
    expect(() => flow.logProb(tf.zeros([2, 4]) as tf.Tensor2D, tf.zeros([2, 2]) as tf.Tensor2D)).toThrow(InvalidArgumentError);
    expect(() => flow.sample(0, new Rng(1), tf.zeros([1, 2]) as tf.Tensor2D)).toThrow(/positive integer/);
  });
});

describe('presets', () => {
  it('couplingSplinePreset has 4 RQS couplings (8 bins, B = 1, 3 × 64 residual blocks), each followed by a permutation and an LU linear map', () => {
    const cfg = couplingSplinePreset(35, 6, { seed: 1 });
    expect(cfg.layers.map((l) => l.type)).toEqual(Array.from({ length: 4 }, () => ['coupling', 'permutation', 'lu-linear']).flat());
    const couplings = cfg.layers.filter((l) => l.type === 'coupling');
    expect(couplings.map((l) => l.identityFeatures)).toEqual(['even', 'odd', 'even', 'odd']);
    for (const l of couplings) expect(l).toMatchObject({ transform: { kind: 'rqs', bins: 8, tailBound: 1 }, hiddenFeatures: 64, numBlocks: 3 });
    expect(couplingSplinePreset(35, 6, { seed: 1 })).toEqual(cfg);
    const flow = new Flow(cfg);
    // Per coupling: initial (18 + 6)·64 + 64, 3 blocks × (2·(64·64 + 64) + 6·64 + 64), final 64·17·23 + 17·23; even/odd halves 18/17.
    const count = (idIn: number, trOut: number) => (idIn + 6) * 64 + 64 + 3 * (2 * (64 * 64 + 64) + 6 * 64 + 64) + 64 * trOut * 23 + trOut * 23;
    const lu = 2 * 35 * 35 + 2 * 35;
    const params = Object.values(flow.trainableVariables()).reduce((a, v) => a + v.size, 0);
    expect(params).toBe(count(18, 17) + count(17, 18) + count(18, 17) + count(17, 18) + 4 * lu);
    flow.dispose();
  });

  it('autoregressiveSplinePreset builds a conditional flow whose samples have the right shape', () => {
    const flow = new Flow(autoregressiveSplinePreset(5, 3));
    const x = flow.sample(7, new Rng(1), tf.zeros([1, 3]) as tf.Tensor2D);
    expect(x.shape).toEqual([7, 5]);
    flow.dispose();
  });
});
