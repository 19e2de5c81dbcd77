import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, Rng, createOrtSession, readOnnxInfo, selectTfBackend } from '@calozoo/core';
import { compose, invert } from './bijector.js';
import { FLOW_FORMAT_VERSION, type FlowConfig, type LayerConfig } from './config.js';
import { Flow } from './flow.js';
import { Permutation } from './permutation.js';
import { couplingSplinePreset } from './presets.js';
import { perturbVariables } from './testing.js';

beforeAll(async () => {
  await selectTfBackend({ backend: 'cpu' });
});

const rqs = (bins: number, tailBound: number) => ({ kind: 'rqs' as const, bins, tailBound });

/** Runs the flow's exported sampler in onnxruntime and its TF.js inverse on the same noise; returns max |Δ| and max |x|. */
async function compare(config: FlowConfig, n = 300, noiseScale = 2.5, perturb = 0.4): Promise<{ diff: number; scale: number; x: Float32Array }> {
  const flow = new Flow(config);
  const rng = new Rng(11);
  perturbVariables(flow.bijector, rng, perturb);
  // Batch-norm running statistics are buffers, not trainable: give them non-trivial values too.
  for (const [k, v] of Object.entries(flow.variables())) {
    if (k.endsWith('runningMean')) v.assign(tf.tensor1d(Array.from({ length: v.size }, () => rng.normal())));
    if (k.endsWith('runningVar')) v.assign(tf.tensor1d(Array.from({ length: v.size }, () => 0.5 + rng.uniform())));
  }
  const noise = flow.drawNoise(n, rng).map((z) => z * noiseScale);
  const context = new Float32Array(n * config.contextDim).map(() => rng.normal());
  const expected = tf.tidy(() => {
    const c = config.contextDim ? tf.tensor2d(context, [n, config.contextDim]) : undefined;
    return flow.bijector.inverse(tf.tensor2d(noise, [n, config.dim]), c).x.dataSync() as Float32Array;
  });
  const session = await createOrtSession(flow.onnxSampler().toBytes(), { threads: 1 });
  const feeds: Record<string, { data: Float32Array; dims: number[] }> = { noise: { data: noise, dims: [n, config.dim] } };
  if (config.contextDim) feeds.context = { data: context, dims: [n, config.contextDim] };
  const x = (await session.run(feeds)).x!.data as Float32Array;
  await session.dispose();
  flow.dispose();
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    expect(Number.isFinite(x[i])).toBe(true);
    diff = Math.max(diff, Math.abs(x[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { diff, scale, x };
}

const flowOf = (dim: number, contextDim: number, layers: LayerConfig[]): FlowConfig => ({ formatVersion: FLOW_FORMAT_VERSION, dim, contextDim, seed: 3, layers });

describe('ONNX export of flow sampling', () => {
  it('spline couplings with context, permutations, LU, ActNorm and batch norm match TF.js (incl. the linear tails)', async () => {
    const layers: LayerConfig[] = [
      { type: 'actnorm' },
      { type: 'coupling', identityFeatures: 'even', transform: rqs(8, 3), hiddenFeatures: 32, numBlocks: 2 },
      { type: 'permutation', indices: [3, 0, 4, 1, 2] },
      { type: 'lu-linear' },
      { type: 'coupling', identityFeatures: 'odd', transform: rqs(8, 3), hiddenFeatures: 32, numBlocks: 2 },
      { type: 'batch-norm', momentum: 0.1, eps: 1e-5 },
    ];
    const r = await compare(flowOf(5, 2, layers));
    expect(r.diff).toBeLessThan(1e-4 * Math.max(1, r.scale));
    // Noise of width 2.5 reaches beyond the tail bound 3: both branches were exercised.
    expect(r.x.some((v) => Math.abs(v) > 3)).toBe(true);
  });

  it('the CaloMan preset exports with column layouts: one Split per coupling, one Gather in all, same samples as TF.js', async () => {
    const config = couplingSplinePreset(7, 2, { seed: 4 });
    const r = await compare(config, 200, 1.5, 0.3);
    expect(r.diff).toBeLessThan(1e-4 * Math.max(1, r.scale));
    const flow = new Flow(config);
    const model = flow.onnxSampler().toModelObject() as { graph: { node: { op_type: string }[] } };
    const ops = model.graph.node.map((n) => n.op_type);
    flow.dispose();
    // Without layouts: 3 Gathers per coupling and 1 per permutation (16); now the permutations vanish,
    // the LU maps emit what the next coupling reads, and only the final natural order needs a Gather.
    expect(ops.filter((o) => o === 'Gather').length).toBe(1);
    expect(ops.filter((o) => o === 'Split').length).toBe(4);
  });

  it('MAF (autoregressive spline and affine, unrolled passes) and context-driven elementwise splines match TF.js', async () => {
    const layers: LayerConfig[] = [
      { type: 'autoregressive', transform: rqs(6, 3), hiddenFeatures: 24, numBlocks: 2 },
      { type: 'permutation', indices: [2, 1, 0, 3] },
      { type: 'autoregressive', transform: { kind: 'affine' }, hiddenFeatures: 16, numBlocks: 1 },
      { type: 'elementwise', transform: rqs(5, 2), hiddenFeatures: 16 },
    ];
    const r = await compare(flowOf(4, 3, layers), 200, 1.5, 0.15);
    expect(r.diff).toBeLessThan(1e-4 * Math.max(1, r.scale));
  });

  it('unconditional flows: affine couplings, free elementwise parameters, single-bin splines', async () => {
    const layers: LayerConfig[] = [
      { type: 'coupling', identityFeatures: 'odd', transform: { kind: 'affine' }, hiddenFeatures: 16, numBlocks: 1 },
      { type: 'elementwise', transform: rqs(4, 2), hiddenFeatures: 1 },
      { type: 'coupling', identityFeatures: 'even', transform: rqs(1, 2), hiddenFeatures: 16, numBlocks: 0 },
    ];
    const r = await compare(flowOf(4, 0, layers), 300, 2.5, 0.15);
    expect(r.diff).toBeLessThan(1e-4 * Math.max(1, r.scale));
  });

  it('the sampler declares noise/context inputs and x output; a context mismatch and an inverted layer are refused', async () => {
    const flow = new Flow(flowOf(2, 1, [{ type: 'coupling', identityFeatures: 'even', transform: rqs(4, 2), hiddenFeatures: 8, numBlocks: 1 }]));
    const info = await readOnnxInfo(flow.onnxSampler().toBytes());
    expect(info.inputs).toEqual(['noise', 'context']);
    expect(info.outputs).toEqual(['x']);
    expect(info.opTypes).toContain('GatherElements');
    const g = flow.onnxSampler();
    expect(() => flow.toOnnxSample(g, g.input('z', 'float32', [null, 2]))).toThrow(InvalidArgumentError);
    flow.dispose();
    const b = compose(new Permutation([1, 0]), invert(new Permutation([1, 0])));
    const g2 = new Flow(flowOf(2, 0, [{ type: 'permutation', indices: [1, 0] }])).onnxSampler();
    expect(() => b.onnxInverse!(g2, g2.input('y', 'float32', [null, 2]), undefined)).toThrow(/no ONNX inverse/);
  });
});
