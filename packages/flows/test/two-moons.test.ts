/**
 * Two moons (test/densities.ts: a 48-component Gaussian mixture along the arcs, so the true
 * log-density is exact): a spline coupling flow reaches a held-out log-likelihood within
 * 0.05 nats/dim of the truth, and its samples pass an energy-distance permutation test and
 * per-dimension KS tests against fresh samples of the truth.
 */
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, selectTfBackend } from '@calozoo/core';
import { Flow, FLOW_FORMAT_VERSION, fitFlow, type LayerConfig } from '../src/index.js';
import { twoMoons } from './densities.js';
import { energyTest, ksCritical, maxKs } from './two-sample.js';

beforeAll(async () => {
  // The best backend here (native TensorFlow → wasm → cpu), or FLOWS_TEST_BACKEND.
  const backend = process.env.FLOWS_TEST_BACKEND as 'tensorflow' | 'wasm' | 'cpu' | undefined;
  await selectTfBackend(backend ? { backend } : {});
});

it('learns two moons to within 0.05 nats/dim of the true density, and its samples pass two-sample tests', async () => {
  const truth = twoMoons();
  const rng = new Rng(1);
  const train = truth.sample(12000, rng);
  const nTest = 4000;
  const test = truth.sample(nTest, rng);
  const layers: LayerConfig[] = [0, 1, 2, 3].map((i) => ({
    type: 'coupling',
    identityFeatures: i % 2 ? 'odd' : 'even',
    transform: { kind: 'rqs', bins: 8, tailBound: 3 },
    hiddenFeatures: 32,
    numBlocks: 2,
  }));
  const flow = new Flow({ formatVersion: FLOW_FORMAT_VERSION, dim: 2, contextDim: 0, seed: 3, layers });
  const report = await fitFlow(flow, { x: train }, { epochs: 24, batchSize: 1024, lr: 5e-3, lrSchedule: 'cosine', rng, validation: 0.1 });
  expect(report.history[report.history.length - 1].validationLoss).toBeLessThan(report.history[0].validationLoss);

  const lq = flow.logProb(tf.tensor2d(test, [nTest, 2])).dataSync();
  const lp = truth.logProb(test);
  let gap = 0;
  for (let i = 0; i < nTest; i++) gap += (lp[i] - lq[i]) / nTest;
  const samples = flow.sample(1000, new Rng(9)).dataSync() as Float32Array;
  const ref = truth.sample(1000, new Rng(10));
  const energy = energyTest(samples, ref, 2);
  const ks = maxKs(samples, ref, 2);
  console.log(`two moons: gap ${(gap / 2).toFixed(4)} nats/dim after ${report.steps} steps; energy p ${energy.p.toFixed(3)}; max KS ${ks.toFixed(3)}`);
  expect(gap / 2).toBeLessThan(0.05);
  // Level-α tests of "samples ~ truth": energy distance at α = 0.01, KS at α = 0.001 over both dims (Bonferroni).
  expect(energy.p).toBeGreaterThan(0.01);
  expect(ks).toBeLessThan(ksCritical(1000, 1000, 2, 0.001));
});
