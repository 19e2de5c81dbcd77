/**
 * Core's plugin conformance suite on both plugins: the dense variant on a small grid and on
 * CaloChallenge dataset 1 photons, the plain GAN on the small grid, and the published conv
 * variant (narrowed) on the ILD 30³ grid, which needs correct 3-D convolution gradients (skipped,
 * visibly, on wasm). Also: registration and config parsing.
 */
import { describe, expect, it } from 'vitest';
import { getGeometry, getModel, memorySource, tf, type TfBackendName } from '@calozoo/core';
import { forEachBackend, pluginConformance } from '@calozoo/core/testing';
import { simulateShowers } from '@calozoo/simulator';
import { ganPlugin, wganGpPlugin } from '../src/index.js';
import { tinyConfig } from './tiny.js';

describe('registration', () => {
  it('registers wgan-gp and gan on import', () => {
    expect(getModel('wgan-gp')).toBe(wganGpPlugin);
    expect(getModel('gan')).toBe(ganPlugin);
  });
});

const grid = getGeometry('grid-4x4x4');
const ds1 = getGeometry('ds1-photons');
// [plugin, geometry, showers, data seed, fit seed]
const dense: Array<[typeof wganGpPlugin, typeof grid, number, number, number]> = [
  [wganGpPlugin, grid, 240, 21, 1],
  [ganPlugin, grid, 240, 22, 2],
  [wganGpPlugin, ds1, 300, 23, 1],
];
for (const [plugin, geometry, n, dataSeed, seed] of dense) {
  pluginConformance({
    plugin,
    geometry,
    config: tinyConfig(plugin.defaultConfig(geometry)),
    data: memorySource(simulateShowers(geometry, { n, seed: dataSeed })),
    fit: { seed, epochs: 3 },
    runtimeTolerance: 1e-4,
  });
}

const ild = getGeometry('ild-ecal');
await forEachBackend(() => {
  pluginConformance({
    plugin: wganGpPlugin,
    geometry: ild,
    config: tinyConfig(wganGpPlugin.defaultConfig(ild)),
    data: memorySource(simulateShowers(ild, { n: 40, seed: 24 })),
    fit: { seed: 1, epochs: 3 },
    runtimeTolerance: 1e-4,
    timeoutMs: 300_000,
  });
}, { backends: [tf.getBackend() as TfBackendName], requires: ['conv3d'] });
