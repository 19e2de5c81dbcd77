/**
 * Builds a model's networks from its config and geometry: the published convolutional layer
 * lists on the ILD grids (`conv`), MLPs elsewhere (`dense`), each initialised as the published
 * code does (each network's `initialise`), from seeded streams so the same config gives the same weights.
 */
import { Rng, criticFeatureWidth, type Geometry } from '@calozoo/core';
import { checkArchitecture, convLayout, type WganConfig } from './config.js';
import { ConvConstrainer, ConvCritic, ConvGenerator } from './conv-networks.js';
import { DenseConstrainer, DenseCritic, DenseGenerator } from './dense-networks.js';
import type { WganNetworks } from './networks.js';
import { ResNetCritic } from './resnet-critic.js';

/** Seed of the weight initialisation at construction (one stream per network); `fit` re-draws from its own seed. */
const INIT_SEED = 1;

/** The generator, critic and (when enabled) constrainer of a model, initialised. */
export function buildNetworks(config: WganConfig, geometry: Geometry, source = 'config'): WganNetworks {
  checkArchitecture(config, geometry, source);
  const rng = (k: number): Rng => new Rng(INIT_SEED, k);
  let nets: WganNetworks;
  const layout = convLayout(geometry);
  if (config.architecture === 'conv' && layout && geometry.kind === 'grid') {
    const shape = geometry.shape;
    nets = {
      generator: new ConvGenerator(layout, config.latentDim, config.conv.ngf, rng(1)),
      critic: config.conv.critic === 'resnet'
        ? new ResNetCritic(shape, config.conv.ndf, rng(2), criticFeatureWidth(geometry, config.conv))
        : new ConvCritic(shape, config.conv.ndf, rng(2), criticFeatureWidth(geometry, config.conv)),
      constrainer: config.constrainer.enabled ? new ConvConstrainer(shape, config.conv.constrainerChannels, rng(3)) : null,
    };
  } else {
    const V = geometry.voxels;
    nets = {
      generator: new DenseGenerator(config.latentDim, V, config.dense.generatorHidden, rng(1)),
      critic: new DenseCritic(V, config.dense.criticHidden, rng(2), criticFeatureWidth(geometry, config.dense)),
      constrainer: config.constrainer.enabled ? new DenseConstrainer(V, config.dense.constrainerHidden, rng(3)) : null,
    };
  }
  initialiseNetworks(nets, INIT_SEED);
  return nets;
}

/** Draws every weight of `nets` as the published code does, from streams of `seed` (seed 1: the construction's weights). */
export function initialiseNetworks(nets: WganNetworks, seed: number): void {
  nets.generator.initialise(new Rng(seed, 11));
  nets.critic.initialise(new Rng(seed, 12));
  nets.constrainer?.initialise(new Rng(seed, 13));
}

/** Frees every network. */
export function disposeNetworks(nets: WganNetworks): void {
  nets.generator.dispose();
  nets.critic.dispose();
  nets.constrainer?.dispose();
}
