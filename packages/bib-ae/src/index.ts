/**
 * @calozoo/bib-ae: the Bounded Information Bottleneck Autoencoder of "Getting High"
 * (arXiv:2005.05334; field-reference.md §4.1–4.3) with its post-processor and normal, KDE or
 * flow latent sampling, built from @calozoo/core's model kit. Importing the package registers
 * the `bib-ae` plugin.
 */
import { registerModel } from '@calozoo/core';
import { bibAePlugin } from './plugin.js';

export { bibAePlugin } from './plugin.js';
export { BibAeModel, COMPONENTS, type BibAeVariant } from './model.js';
export { bibAeDefaults, publishedConvDefaults, parseBibAeConfig, checkBibAeConfig, hasConvLayout, type BibAeConfig, type BibAeArchitecture, type LatentSamplerKind, type AdamConfig } from './config.js';
export { ConvEncoder, ConvDecoder, ConvDataCritic, PUBLISHED_CONV_SIZES, type ConvSizes } from './conv-networks.js';
export { DenseEncoder, DenseDecoder, DenseDataCritic, LatentCritic, PostProcessor } from './dense-networks.js';
export { buildNetworks, buildSamplerFlow } from './build.js';
export type { EncoderNet, DecoderNet, DataCriticNet, PostProcessorNet, LatentCriticNet, BibAeNetworks } from './networks.js';
export { kld, latentMmd, sortedKernelMmd, sortedRows, windowIndices, type SortedMmdOptions } from './losses.js';
export { NormalSampler, KdeSampler, bandwidthFactor, covariance, cholesky, type BandwidthRule } from './samplers.js';
export { BIBAE_VERSION } from './version.js';

registerModel(bibAePlugin);
