/** Construction of CaloMan's three networks from a config and a seed. */
import { Rng, layerSlices, type Geometry } from '@calozoo/core';
import type { Flow } from '@calozoo/flows';
import type { CaloManConfig } from './configs.js';
import { createFlow } from './flow-net.js';
import { ConditionalVae } from './vae.js';

/** The three networks of a CaloMan model. */
export interface CaloManNetworks {
  epl: Flow;
  vae: ConditionalVae;
  latentFlow: Flow;
}

/** Builds the three networks with weights drawn from `seed`. */
export function createNetworks(config: CaloManConfig, geometry: Geometry, seed: number): CaloManNetworks {
  const L = layerSlices(geometry).length;
  return {
    epl: createFlow(L, 1, config.epl.flow, seed + 1),
    vae: new ConditionalVae({ voxels: geometry.voxels, conditionDim: 1 + L, latentDim: config.latentDim, hidden: config.vae.hidden, likelihood: config.vae.likelihood }, new Rng(seed, 2)),
    latentFlow: createFlow(config.latentDim, 1 + L, config.latentFlow.flow, seed + 3),
  };
}

