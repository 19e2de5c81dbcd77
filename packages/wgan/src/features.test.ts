/**
 * The WGAN's use of core's critic features: the dense critic's input width, and the legacy default
 * for configs saved before the options existed.
 */
import { describe, expect, it } from 'vitest';
import { getGeometry, layerSlices } from '@calozoo/core';
import { buildNetworks, disposeNetworks } from './build.js';
import { parseWganConfig, wganDefaults, withLegacyKeys } from './config.js';

describe('critic features in the WGAN', () => {
  it('widen the dense critic by 1 + layers inputs when enabled, 4 more per layer with the lateral ones', () => {
    const geometry = getGeometry('ds1-photons');
    const base = wganDefaults(geometry);
    const L = layerSlices(geometry).length;
    const width = (criticFeatures: boolean, criticLateralFeatures = false): number => {
      const nets = buildNetworks({ ...base, dense: { ...base.dense, criticHidden: [8], generatorHidden: [8], constrainerHidden: [4], criticFeatures, criticLateralFeatures } }, geometry);
      const k = Object.entries(nets.critic.variables()).find(([name]) => name.includes('fc0') && name.endsWith('kernel'))![1];
      const rows = k.shape[0]!;
      disposeNetworks(nets);
      return rows;
    };
    expect(width(false)).toBe(geometry.voxels + 1);
    expect(width(true)).toBe(geometry.voxels + 1 + L + 1);
    expect(width(true, true)).toBe(geometry.voxels + 1 + 5 * L + 1);
  });

  it('are off in a saved config that predates them, whatever the default', () => {
    const saved = JSON.parse(JSON.stringify(wganDefaults(getGeometry('ds1-photons'))));
    delete saved.dense.criticFeatures;
    const defaults = wganDefaults(getGeometry('ds1-photons'));
    const on = { ...defaults, dense: { ...defaults.dense, criticFeatures: true } };
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', on).dense.criticFeatures).toBe(false);
    expect(parseWganConfig(withLegacyKeys({ ...saved, dense: { ...saved.dense, criticFeatures: true } }), 'config.json', on).dense.criticFeatures).toBe(true);
    expect(parseWganConfig({}, 'user.json', on).dense.criticFeatures).toBe(true);
    delete saved.dense.criticLateralFeatures;
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', { ...on, dense: { ...on.dense, criticLateralFeatures: true } }).dense.criticLateralFeatures).toBe(false);
    delete saved.readoutGradient;
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', { ...on, readoutGradient: 'straight-through' }).readoutGradient).toBe('kept');
    delete saved.dense.readoutThreshold;
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', { ...on, dense: { ...on.dense, readoutThreshold: true } }).dense.readoutThreshold).toBe(false);
  });
});
