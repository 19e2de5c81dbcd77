/**
 * The two model plugins of this package (no side effects; `index.ts` registers them): `wgan-gp`,
 * the Wasserstein GAN with gradient penalty and the energy constrainer (field-reference.md §4.4,
 * §4.5), and `gan`, the plain GAN with the binary cross-entropy loss (§4.6). Both share the
 * networks, the model class and the model-directory format; only the defaults differ.
 */
import { fileURLToPath } from 'node:url';
import { getGeometry, loadOrDispose, readModelConfig, type Geometry, type LoadOptions, type ModelPlugin } from '@calozoo/core';
import { checkArchitecture, ganDefaults, parseWganConfig, wganDefaults, withLegacyKeys, type WganConfig } from './config.js';
import { WganModel, type WganPluginName } from './model.js';
import { WGAN_VERSION } from './version.js';

/** Builds one of the two plugins around its defaults (and the trained models it ships). */
function makePlugin(name: WganPluginName, description: string, defaults: (g: Geometry) => WganConfig, pretrained?: Record<string, string>): ModelPlugin<WganConfig> {
  return {
    name,
    ...(pretrained ? { pretrained } : {}),
    version: WGAN_VERSION,
    description,
    geometries: 'any',
    defaultConfig: (geometry) => defaults(geometry),
    parseConfig: (raw, source) => parseWganConfig(raw, source),
    create: async (config, geometry) => {
      const c = parseWganConfig(config, `${name}.create`);
      checkArchitecture(c, geometry, `${name}.create`);
      return new WganModel(name, c, geometry);
    },
    load: async (dir: string, options?: LoadOptions) => {
      const mc = await readModelConfig(dir, name);
      const geometry = getGeometry(mc.geometry);
      const config = parseWganConfig(withLegacyKeys(mc.config), `${dir}/config.json`, defaults(geometry));
      return loadOrDispose(new WganModel(name, config, geometry, options?.logger), (m) => m.loadFrom(dir));
    },
  };
}

/** `wgan-gp`: WGAN-GP with the energy constrainer; conv networks on the ILD grids, dense elsewhere. */
export const wganGpPlugin: ModelPlugin<WganConfig> = makePlugin(
  'wgan-gp',
  'WGAN-GP with energy constrainer (Getting High, arXiv:2005.05334): published 3-D conv networks on ILD grids, MLPs elsewhere',
  wganDefaults,
  {
    'ds1-photons': fileURLToPath(new URL('../models/ds1-photons', import.meta.url)),
    'ild-ecal': fileURLToPath(new URL('../models/ild-ecal', import.meta.url)),
  },
);

/** `gan`: the plain GAN (binary cross-entropy, no constrainer by default) on the same networks. */
export const ganPlugin: ModelPlugin<WganConfig> = makePlugin(
  'gan',
  'plain GAN with binary cross-entropy (Getting High, arXiv:2005.05334) on the WGAN networks',
  ganDefaults,
);
