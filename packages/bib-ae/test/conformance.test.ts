/**
 * Core's plugin conformance suite on `bib-ae`: the dense variant with each latent sampler (flow,
 * KDE, normal) on CaloChallenge dataset 1 photons and on a small grid, and the published conv
 * variant (narrowed) on the ILD 30³ grid, which needs correct 3-D convolution gradients (skipped,
 * visibly, on wasm). Also: registration and the config checks.
 */
import { describe, expect, it } from 'vitest';
import { getGeometry, getModel, memorySource, tf, type TfBackendName } from '@calozoo/core';
import { forEachBackend, pluginConformance } from '@calozoo/core/testing';
import { simulateShowers } from '@calozoo/simulator';
import { PUBLISHED_CONV_SIZES, bibAePlugin, buildNetworks, parseBibAeConfig, publishedConvDefaults, type LatentSamplerKind } from '../src/index.js';
import { disposeNetworks } from '../src/build.js';
import { tinyConfig } from './tiny.js';

describe('registration and config', () => {
  it('registers bib-ae on import', () => {
    expect(getModel('bib-ae')).toBe(bibAePlugin);
  });

  it('refuses bad values and unknown keys, naming the file and key', () => {
    expect(() => parseBibAeConfig({ activeDim: 600 }, 'my.json')).toThrow(/my\.json: "activeDim" must be ≤ latentDim/);
    expect(() => parseBibAeConfig({ sampler: { kind: 'gmm' } }, 'my.json')).toThrow(/"sampler.kind" must be one of normal, kde, flow/);
    expect(() => parseBibAeConfig({ loss: { kld: -1 } }, 'my.json')).toThrow(/"loss.kld" must be ≥ 0/);
    expect(() => parseBibAeConfig({ lossWeights: {} }, 'my.json')).toThrow(/lossWeights/);
  });

  it('builds conv networks on the ILD 30³ grid only', async () => {
    expect(bibAePlugin.defaultConfig(getGeometry('ild-ecal')).architecture).toBe('conv');
    expect(bibAePlugin.defaultConfig(getGeometry('ds1-photons')).architecture).toBe('dense');
    await expect(bibAePlugin.create({ ...tinyConfig(bibAePlugin.defaultConfig(getGeometry('ds1-photons'))), architecture: 'conv' }, getGeometry('ds1-photons'))).rejects.toThrow(/use "architecture": "dense"/);
  });

  it('ILD 30³: the default is the published conv recipe at CPU sizes; publishedConvDefaults keeps §4.1', () => {
    const ild = getGeometry('ild-ecal');
    const d = bibAePlugin.defaultConfig(ild);
    const p = publishedConvDefaults();
    expect(p.conv).toEqual(PUBLISHED_CONV_SIZES);
    expect([p.batchSize, p.criticIterations, p.latentDim, p.activeDim, p.postProcessor.channels, p.postProcessor.layers, p.sampler.kind]).toEqual([8, 5, 512, 24, 128, 4, 'kde']);
    expect(d.conv).toEqual({ ngf: 4, ndf: 16, encoderHidden: [256], decoderHidden: [256] });
    expect([d.batchSize, d.criticIterations, d.latentDim, d.activeDim, d.postProcessor.channels, d.postProcessor.layers, d.postProcessor.keepZeros, d.postProcessor.form, d.sampler.kind]).toEqual([32, 2, 512, 24, 64, 3, true, 'residual', 'flow']);
    expect(p.postProcessor.form).toBe('direct');
    expect(d.loss).toEqual(p.loss);
    const count = (c: typeof d): number => {
      const nets = buildNetworks(c, ild, 1);
      const n = Object.values(nets).reduce((sum, net) => sum + Object.values(net!.variables() as Record<string, tf.Variable>).reduce((a, v) => a + v.size, 0), 0);
      disposeNetworks(nets);
      return n;
    };
    // The training log's counts: 3 228 929 in the bibae stage (encoder, decoder, critics), 25 793 in the post-processor.
    expect(count(d)).toBe(3_228_929 + 25_793);
    expect(count(p)).toBeGreaterThan(70e6);
  });
});

const ds1 = getGeometry('ds1-photons');
const grid = getGeometry('grid-4x4x4');
const cases: Array<[LatentSamplerKind, typeof ds1, number]> = [['flow', ds1, 31], ['kde', ds1, 32], ['normal', grid, 33]];
for (const [kind, geometry, dataSeed] of cases) {
  const base = tinyConfig(bibAePlugin.defaultConfig(geometry));
  pluginConformance({
    plugin: bibAePlugin,
    geometry,
    config: { ...base, sampler: { ...base.sampler, kind } },
    data: memorySource(simulateShowers(geometry, { n: 240, seed: dataSeed })),
    fit: { seed: 1, epochs: 2 },
    runtimeTolerance: 1e-3,
  });
}

const ild = getGeometry('ild-ecal');
await forEachBackend(() => {
  const base = tinyConfig(bibAePlugin.defaultConfig(ild));
  pluginConformance({
    plugin: bibAePlugin,
    geometry: ild,
    config: { ...base, postProcessor: { ...base.postProcessor, positions: 200, window: 20, stride: 20 } },
    data: memorySource(simulateShowers(ild, { n: 24, seed: 34 })),
    fit: { seed: 1, epochs: 1 },
    runtimeTolerance: 1e-3,
    timeoutMs: 300_000,
  });
}, { backends: [tf.getBackend() as TfBackendName], requires: ['conv3d'] });
