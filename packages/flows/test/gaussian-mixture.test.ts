/**
 * An 8-D correlated two-component Gaussian mixture (test/densities.ts, exact log-density): spline
 * couplings with LU linear maps reach a held-out log-likelihood within 0.05 nats/dim of the truth,
 * and their samples pass energy-distance and per-dimension KS two-sample tests.
 */
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, selectTfBackend } from '@calozoo/core';
import { Flow, FLOW_FORMAT_VERSION, fitFlow, randomPermutation, type LayerConfig } from '../src/index.js';
import { correlatedMixture } from './densities.js';
import { energyTest, ksCritical, maxKs } from './two-sample.js';

beforeAll(async () => {
  // The best backend here (native TensorFlow → wasm → cpu), or FLOWS_TEST_BACKEND.
  const backend = process.env.FLOWS_TEST_BACKEND as 'tensorflow' | 'wasm' | 'cpu' | undefined;
  await selectTfBackend(backend ? { backend } : {});
});

it('learns an 8-D correlated Gaussian mixture to within 0.05 nats/dim, and its samples pass two-sample tests', async () => {
  const D = 8;
  const truth = correlatedMixture(D);
  const rng = new Rng(1);
  const train = truth.sample(10000, rng);
  const nTest = 4000;
  const test = truth.sample(nTest, rng);
  const order = new Rng(4);
  const layers: LayerConfig[] = [];
  for (let i = 0; i < 3; i++) {
    layers.push({ type: 'lu-linear' });
    layers.push({ type: 'coupling', identityFeatures: i % 2 ? 'odd' : 'even', transform: { kind: 'rqs', bins: 8, tailBound: 4 }, hiddenFeatures: 32, numBlocks: 2 });
    layers.push({ type: 'permutation', indices: randomPermutation(D, order) });
  }
  layers.push({ type: 'lu-linear' });
  const flow = new Flow({ formatVersion: FLOW_FORMAT_VERSION, dim: D, contextDim: 0, seed: 3, layers });
  const report = await fitFlow(flow, { x: train }, { epochs: 20, batchSize: 512, lr: 5e-3, lrSchedule: 'cosine', rng, validation: 0.1 });

  const lq = flow.logProb(tf.tensor2d(test, [nTest, D])).dataSync();
  const lp = truth.logProb(test);
  let gap = 0;
  for (let i = 0; i < nTest; i++) gap += (lp[i] - lq[i]) / nTest;
  const samples = flow.sample(1000, new Rng(9)).dataSync() as Float32Array;
  const ref = truth.sample(1000, new Rng(10));
  const energy = energyTest(samples, ref, D);
  const ks = maxKs(samples, ref, D);
  console.log(`8-D mixture: gap ${(gap / D).toFixed(4)} nats/dim after ${report.steps} steps; energy p ${energy.p.toFixed(3)}; max KS ${ks.toFixed(3)}`);
  expect(gap / D).toBeLessThan(0.05);
  expect(energy.p).toBeGreaterThan(0.01);
  expect(ks).toBeLessThan(ksCritical(1000, 1000, D, 0.001));
});
