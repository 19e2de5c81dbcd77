/**
 * The shared conformance suite every model plugin runs (diffusers' ModelTesterMixin idea):
 * save → load round trip, same seed ⇒ same showers, different seeds differ, outputs finite
 * and non-negative with the geometry's voxel count. Registers vitest tests; call it at the
 * top level of a test file.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { Generator, ModelPlugin, Trainable } from '../model/interfaces.js';
import type { Geometry } from '../geometry/types.js';
import type { Conditions, Showers } from '../showers.js';
import { readModelConfig } from '../model/model-config.js';

/** Options of `pluginConformance`. */
export interface PluginConformanceOptions {
  /** The plugin under test. */
  plugin: ModelPlugin<any>;
  /** Geometry the model is built for. */
  geometry: Geometry;
  /** Returns a (briefly trained or freshly created) model; called once. */
  makeModel: () => Promise<Generator & Trainable>;
  /** Conditions to generate for (default: 12 energies log-spaced 1 GeV – 100 GeV). */
  conditions?: Conditions;
  /** Max abs difference allowed between the saved and the loaded model's showers (MeV, default 1e-3 relative to E). */
  relativeTolerance?: number;
  /** Test timeout in ms (default 120 s). */
  timeoutMs?: number;
}

function defaultConditions(): Conditions {
  const n = 12;
  return { energy: Float32Array.from({ length: n }, (_, i) => 1000 * Math.pow(100, i / (n - 1))) };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Registers the conformance tests for one plugin. */
export function pluginConformance(options: PluginConformanceOptions): void {
  const { plugin, geometry } = options;
  const conditions = options.conditions ?? defaultConditions();
  const timeout = options.timeoutMs ?? 120_000;
  const relTol = options.relativeTolerance ?? 1e-3;
  const n = conditions.energy.length;

  describe(`plugin conformance: ${plugin.name} on ${geometry.id}`, () => {
    let model: Generator & Trainable;
    let first: Showers;

    it('has a kebab-case name, a version and a default config that parses', () => {
      expect(plugin.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(plugin.version).toMatch(/^\d+\.\d+\.\d+/);
      const cfg = plugin.defaultConfig(geometry);
      expect(plugin.parseConfig(JSON.parse(JSON.stringify(cfg)), 'default config')).toEqual(cfg);
      expect(() => plugin.parseConfig({ __definitelyNotAKey: 1 }, 'bad.json')).toThrow(/bad\.json/);
    });

    it(
      'generates finite, non-negative showers with the geometry voxel count',
      async () => {
        model = await options.makeModel();
        expect(model.card.plugin).toBe(plugin.name);
        expect(model.card.geometry).toBe(geometry.id);
        first = await model.generate(conditions, { seed: 7 });
        expect(first.n).toBe(n);
        expect(first.voxels).toBe(geometry.voxels);
        expect(first.values.length).toBe(n * geometry.voxels);
        expect(Array.from(first.energy)).toEqual(Array.from(conditions.energy));
        let bad = 0;
        for (const v of first.values) if (!Number.isFinite(v) || v < 0) bad++;
        expect(bad).toBe(0);
      },
      timeout,
    );

    it(
      'same seed gives the same showers, another seed different ones',
      async () => {
        const again = await model.generate(conditions, { seed: 7 });
        expect(maxAbsDiff(first.values, again.values)).toBe(0);
        const other = await model.generate(conditions, { seed: 8 });
        expect(maxAbsDiff(first.values, other.values)).toBeGreaterThan(0);
      },
      timeout,
    );

    it(
      'save → load round trip gives the same showers',
      async () => {
        const dir = path.join(mkdtempSync(path.join(tmpdir(), `conformance-${plugin.name}-`)), 'model');
        await model.save(dir);
        const cfg = await readModelConfig(dir);
        expect(cfg.plugin).toBe(plugin.name);
        expect(cfg.geometry).toBe(geometry.id);
        const loaded = await plugin.load(dir);
        const again = await loaded.generate(conditions, { seed: 7 });
        let maxE = 0;
        for (const e of conditions.energy) maxE = Math.max(maxE, e);
        expect(maxAbsDiff(first.values, again.values)).toBeLessThanOrEqual(relTol * maxE);
        loaded.dispose();
      },
      timeout,
    );
  });
}
