/**
 * Runs the conformance suite on a tiny reference plugin (an exponential voxel model whose one
 * parameter is saved in config.json), so the suite itself is exercised in core.
 */
import { promises as fs } from 'node:fs';
import { pluginConformance } from './plugin-conformance.js';
import { getGeometry } from '../geometry/index.js';
import { Rng } from '../rng.js';
import { mergeConfig } from '../model/config-parse.js';
import { readModelConfig, writeModelConfig, MODEL_FORMAT_VERSION } from '../model/model-config.js';
import type { Generator, ModelPlugin, Trainable } from '../model/interfaces.js';
import type { Geometry } from '../geometry/types.js';

interface ToyConfig {
  meanFraction: number;
}

function toyModel(config: ToyConfig, geometry: Geometry): Generator & Trainable {
  return {
    card: { plugin: 'toy-exponential', pluginVersion: '0.0.1', geometry: geometry.id, conditions: ['energy'] },
    async generate(c, options) {
      const n = c.energy.length;
      const values = new Float32Array(n * geometry.voxels);
      const rng = new Rng(options.seed);
      for (let i = 0; i < n; i++) {
        for (let v = 0; v < geometry.voxels; v++) values[i * geometry.voxels + v] = (rng.exponential() * config.meanFraction * c.energy[i]) / geometry.voxels;
      }
      return { n, voxels: geometry.voxels, energy: Float32Array.from(c.energy), values };
    },
    dispose() {},
    async fit() {
      return { history: [], seconds: 0, stoppedBy: 'epochs', trainSize: 0, validationSize: 0 };
    },
    async save(dir) {
      await fs.mkdir(dir, { recursive: true });
      await writeModelConfig(dir, {
        plugin: 'toy-exponential',
        pluginVersion: '0.0.1',
        formatVersion: MODEL_FORMAT_VERSION,
        geometry: geometry.id,
        conditions: ['energy'],
        preprocessing: {},
        components: {},
        config,
      });
    },
  };
}

const toy: ModelPlugin<ToyConfig> = {
  name: 'toy-exponential',
  version: '0.0.1',
  description: 'voxels ~ Exponential(meanFraction · E / voxels); for testing the conformance suite',
  geometries: 'any',
  defaultConfig: () => ({ meanFraction: 0.9 }),
  parseConfig: (raw, source) => mergeConfig({ meanFraction: 0.9 }, raw, source),
  create: async (config, geometry) => toyModel(config, geometry),
  load: async (dir) => {
    const cfg = await readModelConfig<ToyConfig>(dir);
    return toyModel(cfg.config, getGeometry(cfg.geometry));
  },
};

pluginConformance({
  plugin: toy,
  geometry: getGeometry('ds1-photons'),
  makeModel: () => toy.create({ meanFraction: 0.5 }, getGeometry('ds1-photons')),
});

