/**
 * Builds a model's networks from its config and geometry: the published 3-D convolutions on the
 * ILD 30³ grid (`conv`), MLPs elsewhere (`dense`); the latent critic and the per-cell
 * post-processor are the same in both. Weights are drawn from seeded streams (PyTorch's default
 * initialisation), so the same config and seed give the same weights. Also the flow sampler.
 */
import { Rng, criticFeatureWidth, type Geometry } from '@calozoo/core';
import { FLOW_FORMAT_VERSION, Flow, type LayerConfig } from '@calozoo/flows';
import { checkArchitecture, type BibAeConfig } from './config.js';
import { ConvDataCritic, ConvDecoder, ConvEncoder } from './conv-networks.js';
import { DenseDataCritic, DenseDecoder, DenseEncoder, LatentCritic, PostProcessor } from './dense-networks.js';
import type { BibAeNetworks, DataCriticNet } from './networks.js';

/** A difference critic of the config's architecture, initialised from `rng`. */
export function buildCritic(config: BibAeConfig, geometry: Geometry, rng: Rng): DataCriticNet {
  if (config.architecture === 'conv' && geometry.kind === 'grid') return new ConvDataCritic(geometry.shape as unknown as [number, number, number], config.conv, rng);
  const d = config.dense;
  return new DenseDataCritic(geometry.voxels, d.criticHidden, rng, criticFeatureWidth(geometry, d));
}

/** Random stream of the resetting critic's weights in `epoch` (`epoch` −1: the initial ones). */
export const resetCriticStream = (epoch: number): number => 1000 + epoch;

/** The networks of `config` on `geometry`, initialised from streams of `seed`. */
export function buildNetworks(config: BibAeConfig, geometry: Geometry, seed: number, source = 'config'): BibAeNetworks {
  checkArchitecture(config, geometry, source);
  const rng = (k: number): Rng => new Rng(seed, 100 + k);
  const pp = config.postProcessor;
  const common = {
    critic: buildCritic(config, geometry, rng(3)),
    ...(config.loss.resetCritic > 0 ? { resetCritic: buildCritic(config, geometry, new Rng(seed, resetCriticStream(-1))) } : {}),
    latentCritic: new LatentCritic(rng(4)),
    postProcessor: new PostProcessor(pp.channels, pp.conditionWidth, pp.layers, rng(5), { keepZeros: pp.keepZeros, residual: pp.form === 'residual' }),
  };
  if (config.architecture === 'conv' && geometry.kind === 'grid') {
    const shape = geometry.shape as unknown as [number, number, number];
    return {
      encoder: new ConvEncoder(shape, config.activeDim, config.conv, rng(1)),
      decoder: new ConvDecoder(shape, config.latentDim, config.conv, rng(2)),
      ...common,
    };
  }
  const V = geometry.voxels;
  const d = config.dense;
  return {
    encoder: new DenseEncoder(V, config.activeDim, d.encoderHidden, rng(1)),
    decoder: new DenseDecoder(config.latentDim, V, d.decoderHidden, rng(2), d.outputGradient === 'straight-through'),
    ...common,
  };
}

/** Gives `net` the weights of a critic freshly drawn from `rng` (the resetting critic at an epoch start). */
export function redrawCritic(net: DataCriticNet, config: BibAeConfig, geometry: Geometry, rng: Rng): void {
  const fresh = buildCritic(config, geometry, rng);
  const w = fresh.variables();
  for (const [k, v] of Object.entries(net.variables())) v.assign(w[k]!);
  fresh.dispose();
}

/** Frees every network. */
export function disposeNetworks(nets: BibAeNetworks): void {
  for (const n of Object.values(nets)) n?.dispose();
}

/** Tail bound of the flow's splines (latents and the standardised response are of order 1). */
const FLOW_TAIL = 5;

/**
 * The flow sampler (§4.3): spline couplings with alternating masks and seeded permutations on
 * [active latent, standardised E_dep/E_inc], conditioned on the network condition.
 */
export function buildSamplerFlow(config: BibAeConfig, seed: number): Flow {
  const f = config.sampler.flow;
  const dim = config.activeDim + 1;
  const rng = new Rng(seed, 107);
  const transform = { kind: 'rqs' as const, bins: f.bins, tailBound: FLOW_TAIL };
  const layers: LayerConfig[] = [];
  for (let i = 0; i < f.couplings; i++) {
    layers.push({ type: 'coupling', identityFeatures: i % 2 === 0 ? 'even' : 'odd', transform, hiddenFeatures: f.hidden, numBlocks: f.blocks });
    layers.push({ type: 'permutation', indices: Array.from(rng.permutation(dim)) });
  }
  return new Flow({ formatVersion: FLOW_FORMAT_VERSION, dim, contextDim: 1, seed, layers });
}
