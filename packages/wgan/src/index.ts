/**
 * @calozoo/wgan: the WGAN-GP with the energy constrainer and the plain GAN of "Getting High"
 * (arXiv:2005.05334; field-reference.md §4.4–4.6), built from @calozoo/core's model kit.
 * Importing the package registers the `wgan-gp` and `gan` plugins.
 */
import { registerModel } from '@calozoo/core';
import { ganPlugin, wganGpPlugin } from './plugin.js';

export { wganGpPlugin, ganPlugin } from './plugin.js';
export { WganModel, COMPONENTS, type WganPluginName } from './model.js';
export { wganDefaults, ganDefaults, publishedConv, parseWganConfig, checkWganConfig, convLayout, type WganConfig, type WganArchitecture, type WganLoss, type AdamConfig } from './config.js';
export { ConvGenerator, ConvCritic, ConvConstrainer, upSpecs, type UpSpec } from './conv-networks.js';
export { ResNetCritic, BasicBlock3d } from './resnet-critic.js';
export { DenseGenerator, DenseCritic, DenseConstrainer } from './dense-networks.js';
export { buildNetworks } from './build.js';
export { layerShapes, type GeneratorNet, type CriticNet, type ConstrainerNet, type WganNetworks } from './networks.js';
export { gradientPenalty, wganCriticLoss, wganGeneratorLoss, constrainerTerm, constrainerLoss, bceDiscriminatorLoss, bceGeneratorLoss, wassersteinEstimate } from './losses.js';
export { WGAN_VERSION } from './version.js';

registerModel(wganGpPlugin);
registerModel(ganPlugin);
