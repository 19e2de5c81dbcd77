/**
 * A short training run works: on dataset-1 photons (dense variant, narrow networks, learning
 * rate 1e-3 so that 15 epochs suffice) the showers generated for a separate held-out sample's
 * energies move towards that sample in E_dep/E_inc, longitudinal centre and sparsity (mean
 * separation power, lower is better) compared with the untrained generator; the per-epoch
 * validation score falls; and the constrainer learns the condition. A diverging critic (a tiny divergence limit) stops the run as divergence.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { getGeometry, loadModel, memorySource, readModelConfig, tf, type Showers, type TfBackendName } from '@calozoo/core';
import { forEachBackend } from '@calozoo/core/testing';
import { simulateShowers } from '@calozoo/simulator';
import { wganGpPlugin, type WganConfig } from '../src/index.js';
import { tinyConfig } from './tiny.js';
import { fitRepresentation, prepareData, showerFeatures, validationScore, voxelLayers } from '@calozoo/core';
import { buildNetworks } from '../src/build.js';
import { representationSettings } from '../src/config.js';
import { wganPhase } from '../src/training.js';

const geometry = getGeometry('ds1-photons');
const train = simulateShowers(geometry, { n: 1500, seed: 5 });
const heldOut = simulateShowers(geometry, { n: 600, seed: 6 });
const adam = { learningRate: 1e-3, beta1: 0.5, beta2: 0.9 };
const defaults = wganGpPlugin.defaultConfig(geometry);
const config: WganConfig = {
  ...defaults,
  constrainer: { ...defaults.constrainer, enabled: true, optimizer: adam }, // off in the dense default; on here to check that it learns
  latentDim: 16,
  batchSize: 64,
  generator: adam,
  critic: adam,
  dense: { ...defaults.dense, generatorHidden: [64, 64], criticHidden: [64, 64], constrainerHidden: [32] },
};

/** Mean separation power of generated showers for the held-out energies against the held-out showers. */
async function heldOutScore(model: { generate: (c: { energy: Float32Array }, o: { seed: number }) => Promise<Showers> }): Promise<number> {
  const layers = voxelLayers(geometry);
  const gen = await model.generate({ energy: heldOut.energy }, { seed: 3 });
  return validationScore(showerFeatures(heldOut.values, heldOut.energy, layers), showerFeatures(gen.values, heldOut.energy, layers)).score;
}

/** A model of `c` trained 15 epochs (seed 1) and its held-out score before and after. */
async function trainAndScore(c: WganConfig) {
  const model = await wganGpPlugin.create(c, geometry);
  const before = await heldOutScore(model);
  const r = await model.fit(memorySource(train), { seed: 1, epochs: 15 });
  return { r, before, after: await heldOutScore(model), model };
}

describe('wgan-gp training (dense, dataset 1 photons)', () => {
  it('lowers the held-out separation power, the validation score and the constrainer loss', async () => {
    const { r, before, after, model } = await trainAndScore(config);
    console.log(`held-out mean separation power: untrained ${before.toFixed(3)}, trained ${after.toFixed(3)}`);
    expect(r.stoppedBy).toBe('epochs');
    expect(r.history).toHaveLength(15);
    expect(after).toBeLessThan(0.8 * before);
    const scores = r.history.map((h) => h.validationLoss!);
    expect(Math.min(...scores.slice(-5))).toBeLessThan(0.85 * scores[0]!);
    const c = r.history.map((h) => h.values!['constrainer']!);
    console.log('constrainer', c[0]!.toFixed(3), c.at(-1)!.toFixed(3), 'scores', scores[0]!.toFixed(3), Math.min(...scores.slice(-5)).toFixed(3));
    expect(c.at(-1)!).toBeLessThan(0.8 * c[0]!);
    model.dispose();
  }, 120_000);

  it('with the critic in slices (criticSliceRows, gradient accumulation) trains as well', async () => {
    const sliced = { ...config, criticSliceRows: 20 };
    const { r, before, after, model } = await trainAndScore(sliced);
    console.log(`critic in slices of 20: held-out mean separation power untrained ${before.toFixed(3)}, trained ${after.toFixed(3)}`);
    expect(r.history).toHaveLength(15);
    expect(after).toBeLessThan(0.8 * before);
    model.dispose();
    // The slices of a batch of 64: 4 of at most 20 rows, in order, their weights adding up to 1.
    const data = await prepareData(memorySource(train), geometry, (s, rr) => fitRepresentation(representationSettings(sliced), s.values, s.energy, s.voxels, rr), sliced, { seed: 1, validationFraction: 0.2 });
    const nets = buildNetworks(sliced, geometry);
    const phase = wganPhase(nets, sliced, data, geometry, { seed: 1 });
    const parts = phase.updates[0]!.split!(Uint32Array.from({ length: 64 }, (_, i) => i));
    expect(parts.map((p) => p.batch.length)).toEqual([16, 16, 16, 16]);
    expect(Array.from(parts.flatMap((p) => Array.from(p.batch)))).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(parts.reduce((a, p) => a + p.weight, 0)).toBeCloseTo(1, 12);
    const whole = wganPhase(nets, config, data, geometry, { seed: 1 });
    expect(whole.updates[0]!.split).toBeUndefined();
    whole.release();
    phase.release();
    Object.values(nets).forEach((n) => n?.dispose());
  }, 120_000);

  it('stops with divergence when the critic loss leaves the divergence limit', async () => {
    const model = await wganGpPlugin.create({ ...config, divergenceLimit: 1e-3 }, geometry);
    const warnings: string[] = [];
    const r = await model.fit(memorySource(train), { seed: 1, epochs: 2, logger: { info: () => {}, warn: (m) => warnings.push(m) } });
    expect(r.stoppedBy).toBe('divergence');
    expect(warnings.join()).toMatch(/critic loss .* beyond ±0\.001/);
    model.dispose();
  }, 60_000);

  it('with critic features (both modes, lateral ones with input), the readout threshold and root-fraction: trains, saves, reloads and generates the same showers on both runtimes, none below the threshold', async () => {
    const small = { ...config, validationShowers: 200, dense: { ...config.dense, generatorHidden: [32], criticHidden: [32], constrainerHidden: [16] } };
    let smallest = Infinity;
    for (const v of train.values) if (v > 0) smallest = Math.min(smallest, v);
    for (const [mode, lateral] of [['input', true], ['derived', false]] as const) {
      const c: WganConfig = { ...small, dense: { ...small.dense, representation: 'root-fraction', root: 4, criticFeatures: true, criticLateralFeatures: lateral, criticFeatureMode: mode, readoutThreshold: true } };
      const model = await wganGpPlugin.create(c, geometry);
      const r = await model.fit(memorySource(train), { seed: 1, epochs: 2 });
      expect(r.history).toHaveLength(2);
      expect(r.history.every((h) => Number.isFinite(h.validationLoss!) && Number.isFinite(h.values!['critic']!))).toBe(true);
      const dir = path.join(mkdtempSync(path.join(tmpdir(), 'wgan-feat-')), 'model');
      await model.save(dir);
      model.dispose();
      // The reloaded model (its config.json carries the scale and the threshold) on both runtimes.
      const energy = heldOut.energy.subarray(0, 50);
      const loaded = await loadModel(dir);
      const a = await loaded.generate({ energy }, { seed: 2, runtime: 'tfjs' });
      const b = await loaded.generate({ energy }, { seed: 2 });
      loaded.dispose();
      let d = 0;
      let max = 0;
      let below = 0;
      let zeros = 0;
      for (let i = 0; i < a.values.length; i++) {
        d = Math.max(d, Math.abs(a.values[i]! - b.values[i]!));
        max = Math.max(max, a.values[i]!);
        if (b.values[i]! > 0 && b.values[i]! < smallest * (1 - 1e-6)) below++;
        if (b.values[i] === 0) zeros++;
      }
      expect(zeros).toBeGreaterThan(0);
      expect(max).toBeGreaterThan(0);
      expect(d / max).toBeLessThan(1e-4);
      expect(below).toBe(0);
    }
  }, 120_000);
});

describe('initialisation seed', () => {
  /** The generator's first kernel of a model. */
  const firstKernel = (m: Awaited<ReturnType<typeof wganGpPlugin.create>>): Float32Array => {
    const nets = (m as unknown as { nets: { generator: { variables(): Record<string, { dataSync(): Float32Array }> } } }).nets;
    return Float32Array.from(Object.values(nets.generator.variables())[0]!.dataSync());
  };
  const maxDiff = (a: Float32Array, b: Float32Array): number => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

  it('a fresh model draws its weights from the fit seed (seed 1: the construction weights); a loaded one keeps its own', async () => {
    const tiny = wganGpPlugin.parseConfig({ ...config, dense: { ...config.dense, generatorHidden: [16], criticHidden: [16], constrainerHidden: [8] } }, 'seed test');
    const data = memorySource(simulateShowers(geometry, { n: 200, seed: 9 }));
    const stopped = (): AbortSignal => AbortSignal.abort(); // at most one step: the weights stay at (or next to) their start
    const a = await wganGpPlugin.create(tiny, geometry);
    const built = firstKernel(a);
    await a.fit(data, { seed: 1, epochs: 1, signal: stopped() });
    expect(maxDiff(firstKernel(a), built)).toBeLessThan(5e-3);
    const b = await wganGpPlugin.create(tiny, geometry);
    await b.fit(data, { seed: 2, epochs: 1, signal: stopped() });
    expect(maxDiff(firstKernel(b), built)).toBeGreaterThan(2e-2); // another N(0, 0.02) draw
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'wgan-seed-')), 'model');
    await b.save(dir);
    const saved = firstKernel(b);
    const c = await wganGpPlugin.load(dir);
    await c.fit(data, { seed: 3, epochs: 1, signal: stopped() });
    expect(maxDiff(firstKernel(c), saved)).toBeLessThan(5e-3);
    for (const m of [a, b, c]) m.dispose();
  }, 120_000);
});

const ild = getGeometry('ild-ecal');
await forEachBackend(() => {
  describe('conv readout threshold (ILD 30³, narrow networks)', () => {
    it.each([
      ['mev', { representation: 'mev', criticFeatures: false, criticLateralFeatures: false, criticHitFeatures: false, criticSpectrumCuts: 0 }, 4],
      ['root-fraction with critic features, hit counts, spectrum and conditionScale 4', { representation: 'root-fraction', criticFeatures: true, criticLateralFeatures: true, criticHitFeatures: true, criticSpectrumCuts: 4 }, 4],
    ] as const)('%s: fits the data\'s smallest deposit, writes it to config.json, and no generated cell lies between 0 and it on either runtime', async (_name, settings, conditionScale) => {
      const data = simulateShowers(ild, { n: 40, seed: 31 });
      let smallest = Infinity;
      for (const v of data.values) if (v > 0) smallest = Math.min(smallest, v);
      const base = wganGpPlugin.defaultConfig(ild);
      const c = tinyConfig(base, { conv: { ...base.conv, ngf: 2, ndf: 2, constrainerChannels: 2, readoutThreshold: true, ...settings }, conditionScale, validationShowers: 8 });
      const model = await wganGpPlugin.create(c, ild);
      const energy = data.energy.subarray(0, 6);
      const before = await model.generate({ energy }, { seed: 2, runtime: 'tfjs' });
      await model.fit(memorySource(data), { seed: 1, epochs: 1 });
      const dir = path.join(mkdtempSync(path.join(tmpdir(), 'wgan-conv-readout-')), 'model');
      await model.save(dir);
      model.dispose();
      const { preprocessing } = await readModelConfig(dir);
      expect(preprocessing['representation']).toBe(c.conv.representation);
      // The representation's condition: E in GeV for MeV values, (log10(E/MeV) − 4.5)/2 for fractions.
      expect(preprocessing['condition']).toBe(c.conv.representation === 'mev' ? 'E_inc / 1000 (GeV)' : '(log10(E_inc / MeV) - 4.5) / 2');
      // The training split's smallest deposit: at least the whole file's.
      expect(preprocessing['threshold']).toBeGreaterThanOrEqual(smallest * (1 - 1e-6));
      // conditionScale multiplies the fractions' condition (10 GeV → −1 at 4); E in GeV stays as it is.
      const mev = c.conv.representation === 'mev';
      expect(preprocessing['conditionScale']).toBe(mev ? undefined : conditionScale);
      const t = preprocessing['threshold'] as number;
      const loaded = await loadModel(dir);
      const condition = (loaded as unknown as { repr: { condition(e: ArrayLike<number>): Float32Array } }).repr.condition([10_000]);
      expect(condition[0]).toBeCloseTo(mev ? 10 : -1, 5);
      const a = await loaded.generate({ energy }, { seed: 2, runtime: 'tfjs' });
      const b = await loaded.generate({ energy }, { seed: 2 });
      loaded.dispose();
      let below = 0;
      let kept = 0;
      let d = 0;
      let max = 0;
      for (let i = 0; i < a.values.length; i++) {
        for (const v of [a.values[i]!, b.values[i]!]) if (v > 0 && v < t) below++;
        if (b.values[i]! > 0) kept++;
        d = Math.max(d, Math.abs(a.values[i]! - b.values[i]!));
        max = Math.max(max, a.values[i]!);
      }
      // The untrained generator (no readout yet) leaves cells between 0 and the threshold; the trained one none.
      expect(before.values.some((v) => v > 0 && v < t)).toBe(true);
      expect(below).toBe(0);
      expect(kept).toBeGreaterThan(0);
      expect(d).toBeLessThanOrEqual(1e-4 * max);
    }, 180_000);
  });
}, { backends: [tf.getBackend() as TfBackendName], requires: ['conv3d'] });
