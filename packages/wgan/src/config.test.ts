/**
 * Defaults per geometry against field-reference.md (§4.4 ILD photons, §4.5 ILD pions, §4.6 the
 * plain GAN, the dense variant elsewhere), config parsing, and the refusal of the conv variant
 * on a geometry it has no layer list for.
 */
import { describe, expect, it } from 'vitest';
import { getGeometry } from '@calozoo/core';
import { checkArchitecture, ganDefaults, parseWganConfig, wganDefaults } from './config.js';

describe('defaults', () => {
  it('ILD photons 30³: §4.4\'s networks (latent 100), λ 5 and batch 50, at ngf = ndf = 8 with the dense recipe\'s inputs and optimisation (README "ILD 30³ photons")', () => {
    const c = wganDefaults(getGeometry('ild-ecal'));
    expect(c).toMatchObject({ architecture: 'conv', loss: 'wgan-gp', latentDim: 100, gradientPenalty: 5, criticIterations: 2, batchSize: 50, schedule: 'cosine', readoutGradient: 'straight-through' });
    expect(c.generator).toEqual({ learningRate: 2e-4, beta1: 0.5, beta2: 0.9 });
    expect(c.critic).toEqual({ learningRate: 2e-4, beta1: 0.5, beta2: 0.9 });
    expect(c.constrainer.enabled).toBe(false);
    expect(c.conv).toEqual({
      ngf: 8, ndf: 8, constrainerChannels: 16, critic: 'dcgan', readoutThreshold: true, representation: 'root-fraction', root: 4,
      criticFeatures: true, criticLateralFeatures: true, criticLateralLayers: 'all', criticFeatureScale: 0.5, criticLateralScale: 0.5, criticHitFeatures: true, criticHitCut: 0.1, criticSpectrumCuts: 8,
    });
  });

  it('ILD pions 48×25×25: §4.5 (λ 25, 10 critic steps, lr 1e-5 for G and D, batch 100, κ 1, the ResNet critic)', () => {
    const c = wganDefaults(getGeometry('ild-hcal'));
    expect(c).toMatchObject({ architecture: 'conv', gradientPenalty: 25, criticIterations: 10, batchSize: 100 });
    expect(c.conv.critic).toBe('resnet');
    // The ResNet critic's gradient in slices of 20 showers (≈ 230 MB of activations each on native TensorFlow).
    expect(c.criticSliceRows).toBe(20);
    expect(wganDefaults(getGeometry('ild-ecal')).criticSliceRows).toBe(0);
    expect(ganDefaults(getGeometry('ild-hcal')).conv.critic).toBe('resnet');
    expect(c.generator.learningRate).toBe(1e-5);
    expect(c.critic.learningRate).toBe(1e-5);
    expect(c.constrainer.weight).toBe(1);
  });

  it('every other geometry: the dense variant', () => {
    for (const id of ['ds1-photons', 'ds1-pions', 'calochallenge-2', 'calochallenge-3', 'grid-4x4x4', 'ild-ecal-angular']) {
      expect(wganDefaults(getGeometry(id)).architecture).toBe('dense');
    }
  });

  it('dense recipe (README "Measured"): critic features as inputs, root-fraction k = 4, readout threshold with a straight-through gradient, 2 critic steps at lr 2e-4 with cosine annealing; the published pion recipe and the plain GAN keep none of it', () => {
    const d = wganDefaults(getGeometry('ds1-photons'));
    expect(d).toMatchObject({ architecture: 'dense', criticIterations: 2, schedule: 'cosine', validationEnergyGroups: 5, validationHitThreshold: true, readoutGradient: 'straight-through' });
    expect(d.constrainer.enabled).toBe(false);
    expect(d.generator.learningRate).toBe(2e-4);
    expect(d.critic.learningRate).toBe(2e-4);
    expect(d.dense).toMatchObject({ representation: 'root-fraction', root: 4, criticFeatures: true, criticLateralFeatures: true, criticLateralLayers: 'angular', criticFeatureMode: 'input', readoutThreshold: true });
    for (const c of [wganDefaults(getGeometry('ild-hcal')), ganDefaults(getGeometry('ds1-photons')), ganDefaults(getGeometry('ild-ecal'))]) {
      expect(c).toMatchObject({ schedule: 'constant', validationEnergyGroups: 0, validationHitThreshold: false, readoutGradient: 'kept' });
      expect(c.dense).toMatchObject({ representation: 'sqrt-fraction', criticFeatures: false, readoutThreshold: false });
    }
    expect(ganDefaults(getGeometry('ds1-photons')).dense.generatorHidden).toEqual(d.dense.generatorHidden);
  });

  it('gan: §4.6 (BCE, one discriminator step, Adam lr 1e-5, betas (0.5, 0.999), batch 32, no constrainer) on the published networks', () => {
    const g = getGeometry('ild-ecal');
    const c = ganDefaults(g);
    expect(c).toMatchObject({ architecture: 'conv', loss: 'bce', criticIterations: 1, batchSize: 32 });
    expect(c.generator).toEqual({ learningRate: 1e-5, beta1: 0.5, beta2: 0.999 });
    expect(c.critic).toEqual({ learningRate: 1e-5, beta1: 0.5, beta2: 0.999 });
    expect(c.constrainer.enabled).toBe(false);
    // The published §4.4 networks and values (none of the CPU recipe's options was tried with BCE).
    expect(c.conv).toEqual({ ngf: 32, ndf: 32, constrainerChannels: 16, critic: 'dcgan', readoutThreshold: false, representation: 'mev', root: 4, criticFeatures: false, criticLateralFeatures: false, criticLateralLayers: 'all', criticFeatureScale: 0.5, criticLateralScale: 0.5, criticHitFeatures: false, criticHitCut: 0.1, criticSpectrumCuts: 0 });
  });
});

describe('parsing', () => {
  it('round-trips every default and merges partial configs', () => {
    for (const id of ['ild-ecal', 'ild-hcal', 'ds1-photons', 'calochallenge-3']) {
      const d = wganDefaults(getGeometry(id));
      expect(parseWganConfig(JSON.parse(JSON.stringify(d)), id)).toEqual(d);
    }
    expect(parseWganConfig({ constrainer: { weight: 0.5 } }, 'my.json').constrainer).toMatchObject({ enabled: true, weight: 0.5 });
  });

  it('rejects unknown keys, bad enumerations and bad numbers, naming the file and key', () => {
    expect(() => parseWganConfig({ conv: { ngff: 3 } }, 'my.json')).toThrow(/my\.json.*unknown key "conv\.ngff".*ngf/);
    expect(() => parseWganConfig({ loss: 'hinge' }, 'my.json')).toThrow(/my\.json.*"loss" must be one of wgan-gp, bce/);
    expect(() => parseWganConfig({ architecture: 'resnet' }, 'my.json')).toThrow(/"architecture"/);
    expect(() => parseWganConfig({ criticIterations: 0 }, 'my.json')).toThrow(/criticIterations.*positive integer/);
    expect(() => parseWganConfig({ critic: { beta2: 1 } }, 'my.json')).toThrow(/critic\.beta2/);
    expect(() => parseWganConfig({ dense: { criticHidden: [] } }, 'my.json')).toThrow(/dense\.criticHidden/);
    expect(() => parseWganConfig({ schedule: 'linear' }, 'my.json')).toThrow(/"schedule" must be one of constant, cosine/);
    expect(() => parseWganConfig({ dense: { representation: 'cube' } }, 'my.json')).toThrow(/root-fraction/);
    expect(() => parseWganConfig({ dense: { root: 0 } }, 'my.json')).toThrow(/dense\.root/);
    expect(() => parseWganConfig({ dense: { criticFeatureMode: 'both' } }, 'my.json')).toThrow(/dense\.criticFeatureMode/);
    expect(() => parseWganConfig({ dense: { criticFeatureScale: 0 } }, 'my.json')).toThrow(/dense\.criticFeatureScale/);
    expect(() => parseWganConfig({ validationEnergyGroups: -1 }, 'my.json')).toThrow(/validationEnergyGroups/);
    expect(() => parseWganConfig({ readoutGradient: 'soft' }, 'my.json')).toThrow(/readoutGradient/);
    expect(() => parseWganConfig({ dense: { criticLateralScale: -1 } }, 'my.json')).toThrow(/dense\.criticLateralScale/);
    expect(() => parseWganConfig({ dense: { criticLateralLayers: 'some' } }, 'my.json')).toThrow(/dense\.criticLateralLayers/);
    expect(() => parseWganConfig({ criticSliceRows: 2.5 }, 'my.json')).toThrow(/my\.json.*"criticSliceRows" must be a non-negative integer/);
    expect(() => parseWganConfig({ conv: { critic: 'resnet34' } }, 'my.json')).toThrow(/my\.json.*"conv\.critic" must be one of dcgan, resnet/);
    for (const v of [0, -1]) expect(() => parseWganConfig({ conditionScale: v }, 'my.json')).toThrow(/my\.json.*"conditionScale" must be a finite number > 0/);
  });

  it('refuses the conv variant where no published layer list fits', () => {
    const c = { ...wganDefaults(getGeometry('ds1-photons')), architecture: 'conv' as const };
    expect(() => checkArchitecture(c, getGeometry('ds1-photons'), 'my.json')).toThrow(/my\.json.*30×30×30.*48×25×25.*"architecture": "dense"/);
    expect(() => checkArchitecture(c, getGeometry('grid-30x30x30'), 'my.json')).not.toThrow();
  });
});
