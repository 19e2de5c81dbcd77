// A third-party model plugin defined in this project, not in calozoo: `mean-shower` learns, per
// band of incident energy (one band per doubling), the mean voxel-energy profile and the mean and
// spread of E_dep/E_inc; it generates a shower as that profile scaled by a drawn E_dep. Registered
// through calozoo's registry, it runs behind the same `Generator` interface as the shipped models,
// in library code (plugin.mjs) and in the CLI (`calozoo --plugin ./mean-shower-plugin.mjs …`).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { MODEL_FORMAT_VERSION, ModelFormatError, Rng, getGeometry, mergeConfig, readModelConfig, registerModel, writeModelConfig } from '@calozoo/core';

const NAME = 'mean-shower';
const VERSION = '1.0.0';
const DEFAULTS = { bandsPerDoubling: 1, blockRows: 2048 };

/** Band index of an incident energy (MeV). */
const bandOf = (energy, perDoubling) => Math.round(Math.log2(energy) * perDoubling);

class MeanShower {
  constructor(config, geometry, bands = {}) {
    this.config = config;
    this.geometry = geometry;
    this.bands = bands; // band → { profile: number[] (sums to 1), mean, std, count }
    this.card = { plugin: NAME, pluginVersion: VERSION, geometry: geometry.id, conditions: ['energy'], description: 'mean profile per energy band (example plugin)' };
  }

  /** One pass over the training rows; the held-out rows score the E_dep/E_inc prediction. */
  async fit(data, options) {
    const t0 = performance.now();
    const nVal = Math.floor(data.n * (options.validationFraction ?? 0.2));
    const nTrain = data.n - nVal;
    const V = data.voxels;
    const acc = new Map();
    for (let s = 0; s < nTrain; s += this.config.blockRows) {
      const b = await data.readRange(s, Math.min(nTrain, s + this.config.blockRows));
      for (let i = 0; i < b.n; i++) {
        const e = b.energy[i];
        const key = bandOf(e, this.config.bandsPerDoubling);
        let a = acc.get(key);
        if (!a) acc.set(key, (a = { sum: new Float64Array(V), r: 0, r2: 0, count: 0 }));
        let dep = 0;
        for (let v = 0; v < V; v++) {
          const x = b.values[i * V + v];
          a.sum[v] += x / e;
          dep += x;
        }
        a.r += dep / e;
        a.r2 += (dep / e) ** 2;
        a.count++;
      }
    }
    this.bands = {};
    for (const [key, a] of acc) {
      const total = a.sum.reduce((x, y) => x + y, 0) || 1;
      const mean = a.r / a.count;
      this.bands[key] = { profile: Array.from(a.sum, (x) => x / total), mean, std: Math.sqrt(Math.max(0, a.r2 / a.count - mean * mean)), count: a.count };
    }
    // Validation loss: mean squared error of E_dep/E_inc against the band mean.
    let se = 0;
    if (nVal > 0) {
      const b = await data.readRange(nTrain, data.n);
      for (let i = 0; i < b.n; i++) {
        let dep = 0;
        for (let v = 0; v < V; v++) dep += b.values[i * V + v];
        se += (dep / b.energy[i] - this.nearest(b.energy[i]).mean) ** 2;
      }
    }
    const seconds = (performance.now() - t0) / 1000;
    const trainLoss = [...acc.values()].reduce((x, a) => x + (a.r2 - (a.r * a.r) / a.count), 0) / Math.max(1, nTrain);
    return { history: [{ phase: 'stats', epoch: 0, trainLoss, validationLoss: nVal ? se / nVal : undefined, seconds }], seconds, stoppedBy: 'epochs', trainSize: nTrain, validationSize: nVal };
  }

  /** The trained band closest to an energy. */
  nearest(energy) {
    const key = bandOf(energy, this.config.bandsPerDoubling);
    let best;
    for (const k of Object.keys(this.bands)) if (best === undefined || Math.abs(k - key) < Math.abs(best - key)) best = Number(k);
    if (best === undefined) throw new Error('mean-shower: the model is not trained');
    return this.bands[best];
  }

  async generate(conditions, options) {
    const rng = new Rng(options.seed);
    const n = conditions.energy.length;
    const V = this.geometry.voxels;
    const values = new Float32Array(n * V);
    for (let i = 0; i < n; i++) {
      const e = conditions.energy[i];
      const band = this.nearest(e);
      const dep = e * Math.max(0, band.mean + band.std * rng.normal());
      for (let v = 0; v < V; v++) values[i * V + v] = dep * band.profile[v];
    }
    return { n, voxels: V, energy: Float32Array.from(conditions.energy), values };
  }

  async save(dir) {
    await fs.mkdir(path.join(dir, 'bands'), { recursive: true });
    await fs.writeFile(path.join(dir, 'bands', 'bands.json'), JSON.stringify(this.bands));
    await writeModelConfig(dir, {
      plugin: NAME, pluginVersion: VERSION, formatVersion: MODEL_FORMAT_VERSION, geometry: this.geometry.id,
      conditions: ['energy'], preprocessing: {}, components: { bands: 'bands/' }, config: this.config,
    });
  }

  dispose() {}
}

/** The plugin object calozoo's registry holds. */
export const meanShowerPlugin = {
  name: NAME,
  version: VERSION,
  description: 'example third-party plugin: mean shower profile per energy band',
  geometries: 'any',
  defaultConfig: () => ({ ...DEFAULTS }),
  parseConfig: (raw, source) => mergeConfig({ ...DEFAULTS }, raw, source),
  create: async (config, geometry) => new MeanShower(config, geometry),
  load: async (dir) => {
    const cfg = await readModelConfig(dir);
    if (cfg.plugin !== NAME) throw new ModelFormatError(`${dir}/config.json: written by plugin "${cfg.plugin}", not "${NAME}"`);
    const bands = JSON.parse(await fs.readFile(path.join(dir, 'bands', 'bands.json'), 'utf8'));
    return new MeanShower(mergeConfig({ ...DEFAULTS }, cfg.config, `${dir}/config.json`), getGeometry(cfg.geometry), bands);
  },
};

registerModel(meanShowerPlugin);
