/**
 * A conditional flow learns x | c whose mean and width change with a scalar context c:
 * x₁ = 2c + σ(c) z₁ with σ(c) = 0.3 + 0.25 (c + 1), x₂ = 0.5 x₁ + 0.3 z₂, c ~ U(−1, 1).
 */
import { beforeAll, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, selectTfBackend } from '@calozoo/core';
import { Flow, FLOW_FORMAT_VERSION, fitFlow, reversePermutation } from '../src/index.js';

beforeAll(async () => {
  // The best backend here (native TensorFlow → wasm → cpu), or FLOWS_TEST_BACKEND.
  const backend = process.env.FLOWS_TEST_BACKEND as 'tensorflow' | 'wasm' | 'cpu' | undefined;
  await selectTfBackend(backend ? { backend } : {});
});

const sigma = (c: number) => 0.3 + 0.25 * (c + 1);

function sample(n: number, rng: Rng): { x: Float32Array; context: Float32Array } {
  const x = new Float32Array(2 * n);
  const context = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = 2 * rng.uniform() - 1;
    const x1 = 2 * c + sigma(c) * rng.normal();
    context[i] = c;
    x[2 * i] = x1;
    x[2 * i + 1] = 0.5 * x1 + 0.3 * rng.normal();
  }
  return { x, context };
}

/** log N(x; μ(c), Σ(c)) of the generating process, factorised as p(x₁|c) p(x₂|x₁). */
function trueLogProb(x1: number, x2: number, c: number): number {
  const l = (v: number, m: number, s: number) => -0.5 * ((v - m) / s) ** 2 - Math.log(s) - 0.5 * Math.log(2 * Math.PI);
  return l(x1, 2 * c, sigma(c)) + l(x2, 0.5 * x1, 0.3);
}

it('learns a distribution whose mean and width follow the context (c = −0.8, 0, 0.8)', async () => {
  const rng = new Rng(1);
  const flow = new Flow({
    formatVersion: FLOW_FORMAT_VERSION,
    dim: 2,
    contextDim: 1,
    seed: 2,
    layers: [
      { type: 'autoregressive', transform: { kind: 'rqs', bins: 8, tailBound: 5 }, hiddenFeatures: 32, numBlocks: 1 },
      { type: 'permutation', indices: reversePermutation(2) },
      { type: 'autoregressive', transform: { kind: 'rqs', bins: 8, tailBound: 5 }, hiddenFeatures: 32, numBlocks: 1 },
    ],
  });
  await fitFlow(flow, sample(12000, rng), { epochs: 25, batchSize: 1024, lr: 5e-3, lrSchedule: 'cosine', rng });
  const n = 4000;
  for (const c of [-0.8, 0, 0.8]) {
    const x = flow.sample(n, new Rng(10), tf.tensor2d([[c]]));
    const v = x.dataSync();
    let m = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) m += v[2 * i] / n;
    for (let i = 0; i < n; i++) s2 += (v[2 * i] - m) ** 2 / (n - 1);
    // Standard errors at n = 4000: mean ≤ 0.013, relative width ≈ 1.1 %.
    expect(Math.abs(m - 2 * c)).toBeLessThan(0.08);
    expect(Math.abs(Math.sqrt(s2) / sigma(c) - 1)).toBeLessThan(0.08);
    const lq = flow.logProb(x, tf.tensor2d([[c]])).dataSync();
    // Reverse KL estimate on the flow's own samples: E_q[log q − log p] ≥ 0, small when q ≈ p.
    let kl = 0;
    for (let i = 0; i < n; i++) kl += (lq[i] - trueLogProb(v[2 * i], v[2 * i + 1], c)) / n;
    console.log(`c = ${c}: mean ${m.toFixed(3)} (true ${2 * c}), width ${Math.sqrt(s2).toFixed(3)} (true ${sigma(c)}), reverse KL ${kl.toFixed(4)} nats`);
    expect(kl / 2).toBeLessThan(0.05);
  }
});
