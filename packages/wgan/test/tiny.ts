/**
 * Small configs for tests: the default recipe of a geometry with narrow networks, a small
 * latent space and small batches, so a conformance run (three short trainings) takes seconds.
 */
import type { WganConfig } from '../src/config.js';

/** A fast version of `base` (the plugin's default for the geometry). */
export function tinyConfig(base: WganConfig, overrides: Partial<WganConfig> = {}): WganConfig {
  return {
    ...base,
    latentDim: 8,
    batchSize: base.architecture === 'conv' ? 8 : 32,
    criticIterations: 2,
    validationShowers: 64,
    conv: { ...base.conv, ngf: 2, ndf: 2, constrainerChannels: 2 },
    dense: { ...base.dense, generatorHidden: [32], criticHidden: [32], constrainerHidden: [16] },
    ...overrides,
  };
}

