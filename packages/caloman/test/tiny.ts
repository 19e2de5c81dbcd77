/** A tiny CaloMan config for fast tests on the cpu backend. */
import type { Geometry } from '@calozoo/core';
import { defaultConfigFor, type CaloManConfig } from '../src/index.js';

/** Default config of `geometry` shrunk to a few thousand parameters per network. */
export function tinyConfig(geometry: Geometry, batchSize = 128): CaloManConfig {
  const c = defaultConfigFor(geometry);
  const flow = { couplings: 2, hidden: 24, blocks: 1, bins: 6, tailBound: 4, luLinear: true, permutations: c.epl.flow.permutations };
  const t = { learningRate: 3e-3, batchSize, maxEpochs: 10, patience: 20, schedule: 'constant' as const, gradClipNorm: 10 };
  return {
    ...c,
    latentDim: 6,
    epl: { flow, training: { ...t } },
    vae: { ...c.vae, hidden: [64, 64], training: { ...t } },
    latentFlow: { ...c.latentFlow, flow: { ...flow }, training: { ...t } },
    calibration: { ...c.calibration, quantiles: 20 },
  };
}
