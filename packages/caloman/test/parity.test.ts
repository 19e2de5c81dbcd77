/**
 * Backend parity of the CaloMan plugin's three networks: the conditional VAE's negative ELBO and
 * the layer-energy (EPL) and latent flows' −log-likelihood, each with every parameter gradient,
 * computed on native TensorFlow and on wasm, agree with the cpu backend (whose kernels and
 * gradients core's patches.test.ts checks against finite differences). The flows are the default
 * dataset-1-photon configs; the VAE has the default layout with narrower hidden layers (the cpu
 * backend needs ~40 ms per sample at full width). Backends that cannot start are listed as skipped
 * with the reason. Tolerances as core's parity suite: loss 1e-4 relative, gradients 1e-3 ·
 * max|gradient| per tensor (float32, different summation orders and fused kernels).
 */
import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, getGeometry, layerSlices } from '@calozoo/core';
import { forEachBackend, onCpu } from '@calozoo/core/testing';
import { Flow } from '@calozoo/flows';
import { defaultConfigFor } from '../src/configs.js';
import { flowConfigFor } from '../src/flow-net.js';
import { ConditionalVae } from '../src/vae.js';

const geometry = getGeometry('calochallenge-1-photons');
const cfg = defaultConfigFor(geometry);
const L = layerSlices(geometry).length;
const N = 48;

/** Deterministic uniform values in [lo, hi). */
function uniform(n: number, seed: number, lo: number, hi: number): Float32Array {
  const rng = new Rng(seed, 5);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
}

interface Result {
  loss: number;
  grads: Record<string, Float32Array>;
}

/** Builds a network on the active backend, returns its loss and named gradients, and releases it. */
type Problem = () => { vars: Record<string, tf.Variable>; loss: () => tf.Scalar; dispose: () => void };

const problems: Record<string, Problem> = {
  'conditional VAE (negative ELBO)': () => {
    const vae = new ConditionalVae({ voxels: geometry.voxels, conditionDim: 1 + L, latentDim: cfg.latentDim, hidden: [96, 64], likelihood: cfg.vae.likelihood }, new Rng(11, 2));
    const x = tf.tensor2d(uniform(N * geometry.voxels, 1, 0, 1), [N, geometry.voxels]);
    const y = tf.tensor2d(uniform(N * (1 + L), 2, -1, 1), [N, 1 + L]);
    const eps = tf.tensor2d(Float32Array.from(new Rng(3, 1).fillNormal(new Float32Array(N * cfg.latentDim))), [N, cfg.latentDim]);
    return { vars: vae.params.named(), loss: () => vae.loss(x, y, eps, cfg.vae.beta).loss, dispose: () => { vae.dispose(); tf.dispose([x, y, eps]); } };
  },
  'EPL flow (−log p)': () => flowProblem(L, 1, cfg.epl.flow, 2),
  'latent flow (−log p)': () => flowProblem(cfg.latentDim, 1 + L, cfg.latentFlow.flow, 4),
};

function flowProblem(dim: number, contextDim: number, c: typeof cfg.epl.flow, seed: number): ReturnType<Problem> {
  const flow = new Flow(flowConfigFor(dim, contextDim, c, seed));
  // Inputs spread over the spline domain and its linear tails.
  const x = tf.tensor2d(uniform(N * dim, 7, -1.3 * c.tailBound, 1.3 * c.tailBound), [N, dim]);
  const ctx = tf.tensor2d(uniform(N * contextDim, 8, -1, 1), [N, contextDim]);
  const vars = Object.fromEntries(Object.entries(flow.variables()).filter(([, v]) => v.trainable));
  return { vars, loss: () => tf.neg(tf.mean(flow.logProb(x, ctx))) as tf.Scalar, dispose: () => { flow.dispose(); tf.dispose([x, ctx]); } };
}

function evaluate(make: Problem): Result {
  const p = make();
  try {
    const names = new Map(Object.entries(p.vars).map(([k, v]) => [v.name, k]));
    const { value, grads } = tf.variableGrads(p.loss, Object.values(p.vars));
    const out: Result = { loss: value.dataSync()[0]!, grads: {} };
    for (const [variableName, g] of Object.entries(grads)) out.grads[names.get(variableName)!] = g.dataSync() as Float32Array;
    tf.dispose([value, ...Object.values(grads)]);
    return out;
  } finally {
    p.dispose();
  }
}

await forEachBackend((backend) => {
  for (const [name, make] of Object.entries(problems)) {
    it(`${name}: loss and every gradient agree with cpu`, async () => {
      const ref = await onCpu(() => evaluate(make));
      const got = evaluate(make);
      expect(tf.getBackend()).toBe(backend);
      expect(Number.isFinite(ref.loss)).toBe(true);
      expect(Math.abs(got.loss - ref.loss)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(ref.loss)));
      expect(Object.keys(got.grads).sort()).toEqual(Object.keys(ref.grads).sort());
      for (const [k, r] of Object.entries(ref.grads)) {
        const g = got.grads[k]!;
        const scale = r.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(scale, `gradient of ${k} is not all zero`).toBeGreaterThan(0);
        let worst = 0;
        for (let i = 0; i < r.length; i++) worst = Math.max(worst, Math.abs(g[i]! - r[i]!));
        expect(worst, `gradient of ${k}: max |Δ| ${worst} vs scale ${scale}`).toBeLessThanOrEqual(1e-3 * scale);
      }
    }, 60_000);
  }
}, { backends: ['tensorflow', 'wasm'] });
