import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { AbortedError, Rng, selectTfBackend } from '@calozoo/core';
import { Flow } from './flow.js';
import { fitFlow, type FitProgress } from './train.js';

beforeAll(async () => {
  await selectTfBackend({ backend: 'cpu' });
});

/** A per-feature affine flow: the maximum-likelihood fit is the sample mean and standard deviation. */
const affineFlow = () => new Flow({ formatVersion: 1, dim: 2, contextDim: 0, seed: 1, layers: [{ type: 'elementwise', transform: { kind: 'affine' }, hiddenFeatures: 1 }] });

function gaussian(n: number, mean: number[], sd: number[], rng: Rng): Float32Array {
  const x = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < 2; j++) x[2 * i + j] = mean[j] + sd[j] * rng.normal();
  return x;
}

describe('fitFlow', () => {
  it('reaches the Gaussian maximum-likelihood fit, with a cosine schedule and progress events', async () => {
    const rng = new Rng(3);
    // sd > 1: the nflows affine scale sigmoid(u + 2) + 1e-3 lies in (0, 1], so it only contracts towards the base.
    const x = gaussian(2000, [0.7, -0.4], [1.6, 2.5], rng);
    const flow = affineFlow();
    const events: FitProgress[] = [];
    const report = await fitFlow(flow, { x }, { epochs: 60, batchSize: 500, lr: 0.05, lrSchedule: 'cosine', rng, validation: 0, onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.epoch)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(report.steps).toBe(240);
    expect(events[0].lr).toBeCloseTo(0.05 * 0.5 * (1 + Math.cos((Math.PI * 3) / 240)), 10);
    expect(events[59].lr).toBeLessThan(1e-4);
    // Closed-form optimum: NLL of N(mean, var) at the sample moments = Σ_j ½ log(2πe σ̂_j²).
    let opt = 0;
    for (let j = 0; j < 2; j++) {
      let m = 0;
      let v = 0;
      for (let i = 0; i < 2000; i++) m += x[2 * i + j] / 2000;
      for (let i = 0; i < 2000; i++) v += (x[2 * i + j] - m) ** 2 / 2000;
      opt += 0.5 * Math.log(2 * Math.PI * Math.E * v);
    }
    const nll = -tf.mean(flow.logProb(tf.tensor2d(x, [2000, 2]))).dataSync()[0];
    expect(nll - opt).toBeGreaterThan(-1e-4);
    expect(nll - opt).toBeLessThan(2e-3);
  });

  it('stops early on a rising validation loss and restores the best weights', async () => {
    const rng = new Rng(4);
    const flow = affineFlow();
    // Validation data from a different distribution: its loss rises once the fit moves towards the training data.
    const validation = { x: gaussian(500, [-0.2, 0.2], [1, 1], rng) };
    const report = await fitFlow(flow, { x: gaussian(1000, [2, -2], [0.3, 0.3], rng) }, { epochs: 50, batchSize: 100, lr: 0.05, rng, validation, earlyStoppingPatience: 3 });
    expect(report.stoppedEarly).toBe(true);
    expect(report.epochs).toBe(report.bestEpoch + 3);
    const best = Math.min(...report.history.map((h) => h.validationLoss));
    expect(report.bestValidationLoss).toBe(best);
    const now = -tf.mean(flow.logProb(tf.tensor2d(validation.x, [500, 2]))).dataSync()[0];
    expect(now).toBeCloseTo(best, 4);
  });

  it('trains through ActNorm (data-dependent initialisation) and batch norm (running statistics)', async () => {
    const rng = new Rng(6);
    const flow = new Flow({
      formatVersion: 1,
      dim: 2,
      contextDim: 0,
      seed: 2,
      layers: [
        { type: 'actnorm' },
        { type: 'coupling', identityFeatures: 'even', transform: { kind: 'affine' }, hiddenFeatures: 8, numBlocks: 1 },
        { type: 'batch-norm', momentum: 0.5, eps: 1e-5 },
      ],
    });
    const x = gaussian(400, [3, -1], [2, 0.5], rng);
    const report = await fitFlow(flow, { x }, { epochs: 3, batchSize: 100, lr: 1e-2, rng, validation: 0.25 });
    expect(report.history.every((h) => Number.isFinite(h.validationLoss))).toBe(true);
    const v = flow.variables();
    expect(v['layers.0.initialized'].dataSync()[0]).toBe(1);
    // Batch norm's running variance was updated from batch statistics during training.
    const rv = v['layers.2.runningVar'].dataSync();
    expect(Array.from(rv).some((r) => Math.abs(r - 1) > 1e-3)).toBe(true);
    // In evaluation mode the flow is an ordinary bijection: samples invert back to the noise.
    const { x: s, logProb } = flow.sampleAndLogProb(50, new Rng(1));
    const again = flow.logProb(s).dataSync();
    logProb.dataSync().forEach((l, i) => expect(Math.abs(l - again[i])).toBeLessThan(1e-3));
  });

  it('clips gradients, rejects bad options and honours an abort signal', async () => {
    const rng = new Rng(5);
    const x = gaussian(200, [0, 0], [1, 1], rng);
    const clipped = await fitFlow(affineFlow(), { x }, { epochs: 1, batchSize: 200, lr: 0.1, clipNorm: 1e-3, rng, validation: 0 });
    expect(clipped.steps).toBe(1);
    await expect(fitFlow(affineFlow(), { x }, { epochs: 0, batchSize: 10, lr: 0.1, rng })).rejects.toThrow(/epochs/);
    await expect(fitFlow(affineFlow(), { x: new Float32Array(3) }, { epochs: 1, batchSize: 10, lr: 0.1, rng })).rejects.toThrow(/multiple of dim 2/);
    const ac = new AbortController();
    ac.abort();
    await expect(fitFlow(affineFlow(), { x }, { epochs: 1, batchSize: 10, lr: 0.1, rng, signal: ac.signal })).rejects.toThrow(AbortedError);
  });
});
