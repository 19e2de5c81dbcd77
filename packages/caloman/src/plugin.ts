/**
 * The `caloman` model plugin (no side effects; `index.ts` registers it): default configs per
 * geometry, config parsing that rejects unknown keys, creation and loading.
 */
import { fileURLToPath } from 'node:url';
import { ConfigError, getGeometry, loadOrDispose, mergeConfig, readModelConfig, type Geometry, type LoadOptions, type ModelPlugin } from '@calozoo/core';
import { intrinsicDimCommand } from './commands.js';
import { LEGACY_DEFAULTS, defaultConfigFor, type CaloManConfig } from './configs.js';
import { CaloManModel, PLUGIN_NAME } from './model.js';
import { CALOMAN_VERSION } from './version.js';

/** A reference config used only for key validation (every geometry shares the same keys). */
const KEYS_TEMPLATE: CaloManConfig = defaultConfigFor(getGeometry('calochallenge-1-photons'));

function checkValues(c: CaloManConfig, source: string): CaloManConfig {
  const bad = (key: string, why: string): never => {
    throw new ConfigError(`${source}: "${key}" ${why}.`);
  };
  if (!Number.isInteger(c.latentDim) || c.latentDim < 1) bad('latentDim', `must be a positive integer, found ${c.latentDim}`);
  if (!['published', 'relative'].includes(c.eplTransform)) bad('eplTransform', `must be one of published, relative; found ${JSON.stringify(c.eplTransform)}`);
  if (!['linear', 'sqrt', 'logit'].includes(c.voxelTransform)) bad('voxelTransform', `must be one of linear, sqrt, logit; found ${JSON.stringify(c.voxelTransform)}`);
  if (!['std', 'maxabs'].includes(c.inputScaling)) bad('inputScaling', `must be one of std, maxabs; found ${JSON.stringify(c.inputScaling)}`);
  if (!['means', 'samples'].includes(c.latentFlow.fitOn)) bad('latentFlow.fitOn', `must be one of means, samples; found ${JSON.stringify(c.latentFlow.fitOn)}`);
  if (!(c.thresholdMeV >= 0)) bad('thresholdMeV', 'must be ≥ 0');
  if (!(c.eplFloor > 0 && Number.isFinite(c.eplFloor))) bad('eplFloor', `must be a positive number, found ${c.eplFloor}`);
  if (!(c.vae.beta >= 0)) bad('vae.beta', 'must be ≥ 0');
  if (!(c.vae.freeBits >= 0)) bad('vae.freeBits', 'must be ≥ 0 (nats per latent dimension)');
  if (!['shared', 'per-voxel', 'zero-inflated'].includes(c.vae.likelihood)) bad('vae.likelihood', `must be one of shared, per-voxel, zero-inflated; found ${JSON.stringify(c.vae.likelihood)}`);
  if (!(c.generation.decoderNoise >= 0)) bad('generation.decoderNoise', 'must be ≥ 0');
  if (!c.vae.hidden.every((h) => Number.isInteger(h) && h > 0)) bad('vae.hidden', 'must list positive integers');
  for (const [name, t] of [['epl', c.epl.training], ['vae', c.vae.training], ['latentFlow', c.latentFlow.training]] as const) {
    if (!(t.learningRate > 0)) bad(`${name}.training.learningRate`, 'must be > 0');
    if (!Number.isInteger(t.batchSize) || t.batchSize < 1) bad(`${name}.training.batchSize`, 'must be a positive integer');
    if (!Number.isInteger(t.maxEpochs) || t.maxEpochs < 1) bad(`${name}.training.maxEpochs`, 'must be a positive integer');
    if (!['cosine', 'constant'].includes(t.schedule)) bad(`${name}.training.schedule`, 'must be one of cosine, constant');
  }
  for (const [name, f] of [['epl', c.epl.flow], ['latentFlow', c.latentFlow.flow]] as const) {
    if (!Number.isInteger(f.couplings) || f.couplings < 1) bad(`${name}.flow.couplings`, 'must be a positive integer');
    if (!Number.isInteger(f.bins) || f.bins < 1) bad(`${name}.flow.bins`, 'must be a positive integer');
    if (!(f.tailBound > 0)) bad(`${name}.flow.tailBound`, 'must be > 0');
    if (!['random', 'parity'].includes(f.permutations)) bad(`${name}.flow.permutations`, `must be one of random, parity; found ${JSON.stringify(f.permutations)}`);
  }
  return c;
}

/** Parses a raw CaloMan config over the defaults of `geometry` (or of dataset 1 photons). */
export function parseCaloManConfig(raw: unknown, source: string, geometry?: Geometry): CaloManConfig {
  const defaults = geometry ? defaultConfigFor(geometry) : KEYS_TEMPLATE;
  return checkValues(mergeConfig(defaults, raw, source), source);
}

/** Fills keys that older model directories lack with the values those models were trained with. */
function withLegacyDefaults(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null) return raw;
  const r = raw as Record<string, Record<string, unknown> | undefined>;
  const vae = { ...r.vae };
  const generation = { ...r.generation };
  if (!('likelihood' in vae)) vae.likelihood = LEGACY_DEFAULTS.vae.likelihood;
  if (!('freeBits' in vae)) vae.freeBits = LEGACY_DEFAULTS.vae.freeBits;
  if (!('decoderNoise' in generation)) generation.decoderNoise = LEGACY_DEFAULTS.generation.decoderNoise;
  const flows = Object.fromEntries(
    (['epl', 'latentFlow'] as const).map((k) => {
      const part = { ...r[k] } as Record<string, unknown>;
      const flow = { ...(part.flow as Record<string, unknown> | undefined) };
      if (!('permutations' in flow)) flow.permutations = LEGACY_DEFAULTS.flowPermutations;
      return [k, { ...part, flow }];
    }),
  );
  return { eplFloor: LEGACY_DEFAULTS.eplFloor, ...r, vae, generation, ...flows };
}

/** The `caloman` plugin. */
export const calomanPlugin: ModelPlugin<CaloManConfig> = {
  name: PLUGIN_NAME,
  version: CALOMAN_VERSION,
  description: 'CaloMan: layer-energy flow + conditional VAE + latent spline flow (arXiv:2211.15380), with calibrated energy response',
  geometries: 'any',
  defaultConfig: (geometry) => defaultConfigFor(geometry),
  parseConfig: (raw, source) => parseCaloManConfig(raw, source),
  create: async (config, geometry) => new CaloManModel(checkValues(config, 'caloman.create'), geometry),
  // Measured on 2 cores (bench/TRAINING.md, 2026-12-04 16:05 and 16:35 runs): one intra-op thread
  // trains the flows 1.04–1.75× faster and the VAE 13–22 % slower than two (a whole epoch within
  // ±6 %), with 17–42 % less CPU time, and keeps every network above PyTorch (1.23–2.11×), where
  // two threads left the EPL flow at 0.95–1.04×. Larger machines keep TensorFlow's default.
  trainingThreads: (cores) => (cores <= 2 ? 1 : undefined),
  // The package's models/ folder (next to src/ and dist/), listed in package.json "files".
  pretrained: { 'ds1-photons': fileURLToPath(new URL('../models/ds1-photons', import.meta.url)) },
  commands: [intrinsicDimCommand],
  load: async (dir: string, options?: LoadOptions) => {
    const mc = await readModelConfig(dir, PLUGIN_NAME);
    const geometry = getGeometry(mc.geometry);
    const config = parseCaloManConfig(withLegacyDefaults(mc.config), `${dir}/config.json`, geometry);
    const model = new CaloManModel(config, geometry);
    model.logger = options?.logger;
    return loadOrDispose(model, (m) => m.loadFrom(dir, mc.preprocessing, mc.training));
  },
};
