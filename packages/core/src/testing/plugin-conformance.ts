/**
 * The shared conformance suite every model plugin runs (diffusers' ModelTesterMixin idea).
 * Registers vitest tests; call it at the top level of a test file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { FitOptions, Generator, ModelPlugin, ShowerSource, Trainable } from '../model/interfaces.js';
import type { Geometry } from '../geometry/types.js';
import type { Conditions, Showers } from '../showers.js';
import { readModelConfig } from '../model/model-config.js';
import { createModel, listModels, loadModel, registerModel } from '../model/registry.js';
import { maxAbsDiff, runtimeDifference } from './showers.js';

/** Options of `pluginConformance`. */
export interface PluginConformanceOptions {
  /** The plugin under test. */
  plugin: ModelPlugin<any>;
  /** Geometry the model is built for. */
  geometry: Geometry;
  /** A small config for the plugin on this geometry (fast to train). */
  config: unknown;
  /** Training showers of the geometry (a few hundred are enough). */
  data: ShowerSource;
  /** Fit options of the short training runs (seed and epochs; default seed 1, 2 epochs per phase). */
  fit?: Pick<FitOptions, 'seed' | 'epochs'>;
  /** Conditions to generate for (default: 12 energies log-spaced 1 GeV – 100 GeV). */
  conditions?: Conditions;
  /** Whether `generate` has both runtimes (`tfjs` and `onnx`) to compare; default true. */
  runtimes?: boolean;
  /** Max relative difference (to the largest shower energy) between the TF.js and ONNX Runtime showers (default 1e-3). */
  runtimeTolerance?: number;
  /** Test timeout in ms (default 120 s). */
  timeoutMs?: number;
}

function defaultConditions(): Conditions {
  const n = 12;
  return { energy: Float32Array.from({ length: n }, (_, i) => 1000 * Math.pow(100, i / (n - 1))) };
}

function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/**
 * Registers the conformance tests for one plugin. Each test stands alone (a shared model is
 * trained once in `beforeAll`), so they hold in any order. What they check: a kebab-case name and
 * a config that round-trips; finite, non-negative showers of the geometry's voxel count; the same
 * seed gives the same bytes and another seed other showers; the batch size does not change them;
 * save → load (through the registry) gives the same bytes; a weight file changed after saving is
 * refused; TF.js and ONNX Runtime agree; a training run aborted and resumed from its checkpoint
 * ends with the same bytes as the uninterrupted run.
 */
export function pluginConformance(options: PluginConformanceOptions): void {
  const { plugin, geometry } = options;
  const conditions = options.conditions ?? defaultConditions();
  const timeout = options.timeoutMs ?? 120_000;
  const fit = { seed: options.fit?.seed ?? 1, epochs: options.fit?.epochs ?? 2 };
  const n = conditions.energy.length;
  const maxE = Math.max(...conditions.energy);
  const root = mkdtempSync(path.join(tmpdir(), `conformance-${plugin.name}-`));

  describe(`plugin conformance: ${plugin.name} on ${geometry.id}`, () => {
    let model: Generator & Trainable;
    let first: Showers;
    let saved: string;

    beforeAll(async () => {
      if (!listModels().includes(plugin)) registerModel(plugin);
      model = await createModel(plugin.name, options.config, geometry);
      await model.fit(options.data, fit);
      first = await model.generate(conditions, { seed: 7 });
      saved = path.join(root, 'model');
      await model.save(saved);
    }, timeout);

    afterAll(() => {
      model?.dispose();
      rmSync(root, { recursive: true, force: true });
    });

    it('has a kebab-case name, a version and a default config that parses', () => {
      expect(plugin.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(plugin.version).toMatch(/^\d+\.\d+\.\d+/);
      const cfg = plugin.defaultConfig(geometry);
      expect(plugin.parseConfig(JSON.parse(JSON.stringify(cfg)), 'default config')).toEqual(cfg);
      expect(() => plugin.parseConfig({ __definitelyNotAKey: 1 }, 'bad.json')).toThrow(/bad\.json/);
    });

    it('generates finite, non-negative showers with the geometry voxel count', () => {
      expect(model.card.plugin).toBe(plugin.name);
      expect(model.card.geometry).toBe(geometry.id);
      expect(first.n).toBe(n);
      expect(first.voxels).toBe(geometry.voxels);
      expect(first.values.length).toBe(n * geometry.voxels);
      expect(Array.from(first.energy)).toEqual(Array.from(conditions.energy));
      let bad = 0;
      for (const v of first.values) if (!Number.isFinite(v) || v < 0) bad++;
      expect(bad).toBe(0);
      expect(first.values.some((v) => v > 0)).toBe(true);
    });

    it('same seed gives the same bytes, another seed other showers, at any batch size', async () => {
      expect(sameBytes((await model.generate(conditions, { seed: 7 })).values, first.values)).toBe(true);
      expect(sameBytes((await model.generate(conditions, { seed: 7, batchSize: 5 })).values, first.values)).toBe(true);
      expect(maxAbsDiff((await model.generate(conditions, { seed: 8 })).values, first.values)).toBeGreaterThan(0);
    }, timeout);

    it('save → loadModel gives the same bytes; changed weight files are refused', async () => {
      const cfg = await readModelConfig(saved);
      expect(cfg.plugin).toBe(plugin.name);
      expect(cfg.geometry).toBe(geometry.id);
      const loaded = await loadModel(saved);
      expect(sameBytes((await loaded.generate(conditions, { seed: 7 })).values, first.values)).toBe(true);
      loaded.dispose();
      // Flip one byte near the end of the largest component file (same size, new bytes).
      const damaged = path.join(root, 'damaged');
      cpSync(saved, damaged, { recursive: true });
      const files = Object.values(cfg.components).flatMap((c) => readdirSync(path.join(damaged, c)).map((f) => path.join(damaged, c, f)));
      const largest = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
      const bytes = readFileSync(largest);
      bytes[bytes.length - 3] ^= 0x40;
      writeFileSync(largest, bytes);
      await expect(loadModel(damaged)).rejects.toThrow(/not the ones this model was saved with/);
    }, timeout);

    it.skipIf(options.runtimes === false)('TF.js and ONNX Runtime give the same showers', async () => {
      const { difference } = await runtimeDifference(model, conditions, 7);
      expect(difference / maxE).toBeLessThan(options.runtimeTolerance ?? 1e-3);
    }, timeout);

    it('a training run aborted after its second epoch and resumed from the checkpoint ends with the same bytes', async () => {
      const dir = path.join(root, 'checkpoints');
      const controller = new AbortController();
      let epochs = 0;
      const aborted = await createModel(plugin.name, options.config, geometry);
      const r1 = await aborted.fit(options.data, {
        ...fit,
        checkpointDir: dir,
        checkpointEverySeconds: 1e6,
        signal: controller.signal,
        onProgress: (e) => {
          if (e.unit === 'epochs' && ++epochs === 2) controller.abort();
        },
      });
      expect(r1.stoppedBy).toBe('abort');
      aborted.dispose();
      const resumed = await createModel(plugin.name, options.config, geometry);
      const r2 = await resumed.fit(options.data, { ...fit, checkpointDir: dir, resume: true });
      expect(r2.stoppedBy).not.toBe('abort');
      expect(sameBytes((await resumed.generate(conditions, { seed: 7 })).values, first.values)).toBe(true);
      resumed.dispose();
    }, timeout);
  });
}
