/**
 * The `bib-ae` model plugin (no side effects; `index.ts` registers it): the Bounded Information
 * Bottleneck Autoencoder with its post-processor and latent samplers (field-reference.md §4.1–4.3).
 */
import { fileURLToPath } from 'node:url';
import { getGeometry, loadOrDispose, readModelConfig, type LoadOptions, type ModelPlugin } from '@calozoo/core';
import { bibAeDefaults, checkArchitecture, parseBibAeConfig, withLegacyKeys, type BibAeConfig } from './config.js';
import { BibAeModel } from './model.js';
import { BIBAE_VERSION } from './version.js';

/** `bib-ae`: conv networks on the ILD 30³ grid, MLPs elsewhere. */
export const bibAePlugin: ModelPlugin<BibAeConfig> = {
  name: 'bib-ae',
  pretrained: {
    'ds1-photons': fileURLToPath(new URL('../models/ds1-photons', import.meta.url)),
    'ild-ecal': fileURLToPath(new URL('../models/ild-ecal', import.meta.url)),
  },
  version: BIBAE_VERSION,
  description: 'BIB-AE with post-processor and normal, KDE or flow latent sampling (Getting High, arXiv:2005.05334): published 3-D conv networks on the ILD 30³ grid, MLPs elsewhere',
  geometries: 'any',
  defaultConfig: (geometry) => bibAeDefaults(geometry),
  parseConfig: (raw, source) => parseBibAeConfig(raw, source),
  create: async (config, geometry) => {
    const c = parseBibAeConfig(config, 'bib-ae.create', bibAeDefaults(geometry));
    checkArchitecture(c, geometry, 'bib-ae.create');
    return new BibAeModel(c, geometry);
  },
  load: async (dir: string, options?: LoadOptions) => {
    const mc = await readModelConfig(dir, 'bib-ae');
    const geometry = getGeometry(mc.geometry);
    const config = parseBibAeConfig(withLegacyKeys(mc.config), `${dir}/config.json`, bibAeDefaults(geometry));
    return loadOrDispose(new BibAeModel(config, geometry, options?.logger), (m) => m.loadFrom(dir));
  },
};
