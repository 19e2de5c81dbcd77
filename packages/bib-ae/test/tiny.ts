/**
 * Small configs for tests: the default recipe of a geometry with narrow networks, a small latent
 * space and small batches, so a conformance run (three short trainings) takes seconds.
 */
import type { BibAeConfig } from '../src/config.js';

/** A fast version of `base` (the plugin's default for the geometry). */
export function tinyConfig(base: BibAeConfig, overrides: Partial<BibAeConfig> = {}): BibAeConfig {
  return {
    ...base,
    latentDim: 8,
    activeDim: 4,
    batchSize: base.architecture === 'conv' ? 4 : 32,
    criticIterations: 1,
    validationShowers: 64,
    postProcessor: { ...base.postProcessor, channels: 8, conditionWidth: 8, layers: 1, identityEpochs: 1, window: 8, stride: 4, positions: 32 },
    sampler: { ...base.sampler, kdeShowers: 200, flow: { ...base.sampler.flow, couplings: 2, hidden: 16, blocks: 1, batchSize: 64 } },
    conv: { ngf: 2, ndf: 2, encoderHidden: [16], decoderHidden: [16] },
    dense: { ...base.dense, encoderHidden: [32], decoderHidden: [32], criticHidden: [32] },
    ...overrides,
  };
}
