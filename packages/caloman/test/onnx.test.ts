import { cpSync, existsSync, mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, createOrtSession, getGeometry, loadModel, memorySource, readJson, readOnnxInfo, type OnnxExportMetadata } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { tinyConfig } from './tiny.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DS1_ENERGIES_MEV, calomanPlugin, type CaloManModel } from '../src/index.js';
import { ONNX_FILES, buildCaloManGraphs } from '../src/onnx.js';
import { standardise } from '../src/preprocess.js';

const SHIPPED = fileURLToPath(new URL('../models/ds1-photons', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'caloman-onnx-'));
let model: CaloManModel;

beforeAll(async () => {
  cpSync(SHIPPED, join(dir, 'model'), { recursive: true });
  model = (await calomanPlugin.load(join(dir, 'model'))) as CaloManModel;
});
afterAll(() => {
  model?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const energies = (n: number): Float32Array => {
  const rng = new Rng(7);
  return Float32Array.from({ length: n }, () => DS1_ENERGIES_MEV[rng.int(DS1_ENERGIES_MEV.length)]);
};

describe('CaloMan ONNX export (shipped dataset-1-photon model)', () => {
  it('each graph matches its TF.js networks on the same noise and conditions (< 1e-4 relative)', async () => {
    const n = 256;
    const L = model.slices.length;
    const D = model.config.latentDim;
    const rng = new Rng(3);
    const g = buildCaloManGraphs(model);
    const ctx = Float32Array.from({ length: n }, () => rng.normal());
    const eplNoise = model.nets.epl.drawNoise(n, rng);
    const y = Float32Array.from({ length: n * (1 + L) }, () => rng.normal());
    const zNoise = model.nets.latentFlow.drawNoise(n, rng);
    const energy = energies(n);
    const layerE = model.sampleLayerEnergies(energy, rng);
    const epl = await createOrtSession(g.layerEnergies.toBytes(), { threads: 1 });
    const gen = await createOrtSession(g.generator.toBytes(), { threads: 1 });
    const u = (await epl.run({ noise: { data: eplNoise, dims: [n, L] }, context: { data: ctx, dims: [n, 1] } })).x!.data as Float32Array;
    const layerE32 = Float32Array.from(layerE);
    const V = model.geometry.voxels;
    const k = model.config.generation.decoderNoise;
    const voxelNoise = rng.fillNormal(new Float32Array(n * V)) as Float32Array;
    const feeds: Record<string, { data: Float32Array; dims: number[] }> = { condition: { data: y, dims: [n, 1 + L] }, noise: { data: zNoise, dims: [n, D] }, layerEnergies: { data: layerE32, dims: [n, L] } };
    if (k > 0) feeds.voxelNoise = { data: voxelNoise, dims: [n, V] };
    // The shipped model's decoder is zero-inflated: its hit draws are one more input.
    expect(model.config.vae.likelihood).toBe('zero-inflated');
    const hitNoise = rng.fillUniform(new Float32Array(n * V)) as Float32Array;
    feeds.hitNoise = { data: hitNoise, dims: [n, V] };
    const showers = (await gen.run(feeds)).showers!.data as Float32Array;
    await Promise.all([epl.dispose(), gen.dispose()]);
    const uRef = tf.tidy(() => model.nets.epl.bijector.inverse(tf.tensor2d(eplNoise, [n, L]), tf.tensor2d(ctx, [n, 1])).x.dataSync() as Float32Array);
    const meanRef = tf.tidy(() => {
      const yt = tf.tensor2d(y, [n, 1 + L]);
      const z = standardise(Float32Array.from(model.nets.latentFlow.bijector.inverse(tf.tensor2d(zNoise, [n, D]), yt).x.dataSync()), model.state.latent, true);
      // Hits where u < p, valued |mean + k·σ·ε|, with the same ε and u the graph got (k = generation.decoderNoise).
      return model.nets.vae.sample(tf.tensor2d(z, [n, D]), yt, k, tf.tensor2d(voxelNoise, [n, V]), tf.tensor2d(hitNoise, [n, V]), model.slices).dataSync() as Float32Array;
    });
    const showersRef = model.meanToShowers(Float32Array.from(meanRef), energy, Float64Array.from(layerE32));
    const rel = (a: Float32Array, b: Float32Array): number => {
      let d = 0;
      let s = 0;
      for (let i = 0; i < a.length; i++) {
        d = Math.max(d, Math.abs(a[i] - b[i]));
        s = Math.max(s, Math.abs(b[i]));
      }
      return d / Math.max(s, 1e-12);
    };
    expect(rel(u, uRef)).toBeLessThan(1e-4);
    // Per shower, relative to its incident energy (threshold flips at exactly 1 MeV would show here).
    let worst = 0;
    for (let i = 0; i < showers.length; i++) worst = Math.max(worst, Math.abs(showers[i] - showersRef[i]) / energy[Math.floor(i / V)]);
    expect(worst).toBeLessThan(1e-4);
    expect(rel(showers, showersRef)).toBeLessThan(1e-4);
  });

  /** Largest |a − b| relative to the shower's incident energy, and how many voxels differ at all. */
  const compareShowers = (a: Float32Array, b: Float32Array, energy: Float32Array, voxels: number): { worst: number; moved: number } => {
    let worst = 0;
    let moved = 0;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]) / energy[Math.floor(i / voxels)]);
      if (a[i] !== b[i]) moved++;
    }
    return { worst, moved };
  };

  it('same seed ⇒ the same showers on both runtimes and at any batch size (max |Δ| < 1e-4 of the incident energy)', async () => {
    const energy = energies(500);
    const V = model.geometry.voxels;
    const a = await model.generate({ energy }, { seed: 12, runtime: 'tfjs', batchSize: 128 });
    const b = await model.generate({ energy }, { seed: 12, runtime: 'onnx', batchSize: 128 });
    const d = await model.generate({ energy }, { seed: 12, batchSize: 500 });
    const runtimes = compareShowers(a.values, b.values, energy, V);
    expect(runtimes.worst).toBeLessThan(1e-4);
    // Not trivially equal: float32 rounding differs between the runtimes somewhere.
    expect(runtimes.moved).toBeGreaterThan(0);
    expect(compareShowers(b.values, d.values, energy, V).worst).toBeLessThan(1e-4);
    const other = await model.generate({ energy }, { seed: 13, runtime: 'onnx' });
    expect(compareShowers(other.values, b.values, energy, V).worst).toBeGreaterThan(1e-3);
  });

  it('decoder sampling (generation.decoderNoise) draws the same voxel noise on both runtimes', async () => {
    const energy = energies(300);
    const before = model.config.generation.decoderNoise;
    model.config.generation.decoderNoise = 0.5;
    try {
      const a = await model.generate({ energy }, { seed: 21, runtime: 'tfjs', batchSize: 100 });
      // The sessions opened without decoder noise are rebuilt with the voxelNoise input.
      const b = await model.generate({ energy }, { seed: 21, runtime: 'onnx' });
      expect(compareShowers(a.values, b.values, energy, 368).worst).toBeLessThan(1e-4);
      model.config.generation.decoderNoise = 0;
      const c = await model.generate({ energy }, { seed: 21, runtime: 'tfjs', batchSize: 100 });
      expect(compareShowers(a.values, c.values, energy, 368).worst).toBeGreaterThan(1e-3);
    } finally {
      model.config.generation.decoderNoise = before;
    }
  });

  it('exportOnnx writes both graphs and metadata; generation uses the export while it matches the weights', async () => {
    const mdir = join(dir, 'model');
    const meta = await model.exportOnnx(mdir);
    expect(existsSync(join(mdir, ONNX_FILES.generator))).toBe(true);
    expect(await readJson<OnnxExportMetadata>(join(mdir, ONNX_FILES.metadata))).toEqual(meta);
    const info = await readOnnxInfo(join(mdir, ONNX_FILES.generator));
    expect(info.inputs).toEqual(['condition', 'noise', 'layerEnergies', 'voxelNoise', 'hitNoise']);
    expect(info.outputs).toEqual(['showers']);
    expect(info.props.plugin).toBe('caloman');
    expect(meta.graphs.generator!.outputs.showers).toEqual(['batch', 368]);
    const loaded = (await calomanPlugin.load(mdir)) as CaloManModel;
    try {
      expect((await loaded.onnxSessions()).source).toBe('files');
      const energy = energies(50);
      const x = await loaded.generate({ energy }, { seed: 4 });
      const y = await model.generate({ energy }, { seed: 4, runtime: 'onnx' });
      expect(compareShowers(x.values, y.values, energy, 368).moved).toBe(0);
    } finally {
      loaded.dispose();
    }
    // A re-saved model (new weights) no longer matches the export: graphs are built from memory.
    const copy = join(dir, 'changed');
    cpSync(mdir, copy, { recursive: true });
    const warnings: string[] = [];
    const changed = (await calomanPlugin.load(copy, { logger: { info: () => {}, warn: (w) => warnings.push(w) } })) as CaloManModel;
    try {
      tf.tidy(() => changed.nets.epl.variables()['layers.0.conditioner.final.bias']!.assign(tf.zeros([changed.nets.epl.variables()['layers.0.conditioner.final.bias']!.size])));
      await changed.save(copy);
      expect((await changed.onnxSessions()).source).toBe('memory');
      // ...and says so (the stale export is never used silently).
      expect(warnings.join()).toMatch(/was exported from other weights or settings .* Run `calozoo export/);
    } finally {
      changed.dispose();
    }
  });
});

describe('CaloMan weight hashing', () => {
  it('loadModel + generate hash the weight files once: checking the ONNX export reads config.json only', async () => {
    const mdir = join(dir, 'hash-once');
    cpSync(SHIPPED, mdir, { recursive: true });
    await model.exportOnnx(mdir);
    const readFile = vi.spyOn(fsp, 'readFile');
    const open = vi.spyOn(fsp, 'open');
    const weightReads = (): number => [...readFile.mock.calls, ...open.mock.calls].filter(([f]) => String(f).endsWith('weights.safetensors')).length;
    const loaded = (await loadModel(mdir)) as unknown as CaloManModel;
    try {
      // Three weight files, each read once by the registry's digest check (opened and read in pieces) and once by the loader.
      expect(weightReads()).toBe(6);
      const energy = energies(20);
      await loaded.generate({ energy }, { seed: 1, threads: 1 });
      await loaded.generate({ energy }, { seed: 2, threads: 2 });
      expect((await loaded.onnxSessions()).source).toBe('files');
      expect(weightReads()).toBe(6);
    } finally {
      readFile.mockRestore();
      open.mockRestore();
      loaded.dispose();
    }
  });
});

describe.each(['per-voxel', 'zero-inflated'] as const)('CaloMan ONNX export with the %s likelihood', (likelihood) => {
  it('trains, saves, reloads and samples its decoder the same way on both runtimes', async () => {
    const geometry = getGeometry('calochallenge-1-photons');
    const c = tinyConfig(geometry, 64);
    const config = { ...c, vae: { ...c.vae, likelihood }, generation: { ...c.generation, decoderNoise: 1 } };
    const m = (await calomanPlugin.create(config, geometry)) as CaloManModel;
    await m.fit(memorySource(simulateShowers(geometry, { n: 300, seed: 5 })), { seed: 2, epochs: 1 });
    const out = join(dir, likelihood);
    await m.save(out);
    m.dispose();
    const loaded = (await calomanPlugin.load(out)) as CaloManModel;
    try {
      expect(loaded.config.vae.likelihood).toBe(likelihood);
      const energy = energies(200);
      const a = await loaded.generate({ energy }, { seed: 3, runtime: 'tfjs' });
      const b = await loaded.generate({ energy }, { seed: 3, runtime: 'onnx' });
      let worst = 0;
      for (let i = 0; i < a.values.length; i++) worst = Math.max(worst, Math.abs(a.values[i] - b.values[i]) / energy[Math.floor(i / 368)]);
      expect(worst).toBeLessThan(1e-4);
      // Zero-inflated: hits are drawn, so the same voxels are exactly zero on both runtimes.
      expect(a.values.filter((v) => v === 0).length).toBe(b.values.filter((v) => v === 0).length);
      if (likelihood === 'zero-inflated') {
        // Hit floor: hits drawn below the 1 MeV threshold sit exactly on it, on both runtimes; none below.
        const t = loaded.config.thresholdMeV;
        expect(t).toBe(1);
        const onFloor = a.values.filter((v) => v === t).length;
        expect(onFloor).toBeGreaterThan(0);
        expect(b.values.filter((v) => Math.abs(v - t) < 1e-5).length).toBe(onFloor);
        expect(a.values.some((v) => v > 0 && v < t) || b.values.some((v) => v > 0 && v < t)).toBe(false);
      }
    } finally {
      loaded.dispose();
    }
  });
});
