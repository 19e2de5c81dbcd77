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
pluginConformance({
  plugin: wganGpPlugin,
  geometry: grid,
  config: tinyConfig(wganGpPlugin.defaultConfig(grid)),
  data: memorySource(simulateShowers(grid, { n: 240, seed: 21 })),
  fit: { seed: 1, epochs: 3 },
  runtimeTolerance: 1e-4,
});

pluginConformance({
  plugin: ganPlugin,
  geometry: grid,
  config: tinyConfig(ganPlugin.defaultConfig(grid)),
  data: memorySource(simulateShowers(grid, { n: 240, seed: 22 })),
  fit: { seed: 2, epochs: 3 },
  runtimeTolerance: 1e-4,
});

const ds1 = getGeometry('ds1-photons');
pluginConformance({
  plugin: wganGpPlugin,
  geometry: ds1,
  config: tinyConfig(wganGpPlugin.defaultConfig(ds1)),
  data: memorySource(simulateShowers(ds1, { n: 300, seed: 23 })),
  fit: { seed: 1, epochs: 3 },
  runtimeTolerance: 1e-4,
});

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
