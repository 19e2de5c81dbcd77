/**
 * The WGAN's use of core's critic features: the dense and conv critics' inputs, and the legacy default
 * for configs saved before the options existed.
 */
import { describe, expect, it } from 'vitest';
import { Rng, getGeometry, layerSlices, tf } from '@calozoo/core';
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

  it('join the conv critic after its convolutions: the head takes flat + features + 1 inputs, and the score depends on the cells and the features', () => {
    const geometry = getGeometry('ild-ecal');
    const base = wganDefaults(geometry);
    const L = layerSlices(geometry).length;
    const V = geometry.voxels;
    const build = (criticFeatures: boolean, criticLateralFeatures = false, criticHitFeatures = false, criticSpectrumCuts = 0) =>
      buildNetworks({ ...base, conv: { ...base.conv, ngf: 2, ndf: 2, constrainerChannels: 2, representation: 'root-fraction', criticFeatures, criticLateralFeatures, criticHitFeatures, criticSpectrumCuts } }, geometry);
    const headRows = (nets: ReturnType<typeof build>): number => Object.entries(nets.critic.variables()).find(([name]) => name === 'head.fc0.kernel')![1].shape[0]!;
    const plain = build(false);
    expect(headRows(plain)).toBe(90 + 1);
    disposeNetworks(plain);
    // The hit counts: one more per layer, and the spectrum's cuts (nothing without criticFeatures, as the lateral ones).
    for (const [on, rows] of [[true, 90 + 1 + 6 * L + 8 + 1], [false, 90 + 1]] as const) {
      const h = build(on, true, true, 8);
      expect(headRows(h)).toBe(rows);
      disposeNetworks(h);
    }
    const nets = build(true, true);
    const F = 1 + 5 * L;
    expect(headRows(nets)).toBe(90 + F + 1);
    const rng = new Rng(4);
    const cells = rng.fillUniform(new Float32Array(2 * V)) as Float32Array;
    const feats = rng.fillUniform(new Float32Array(2 * F)) as Float32Array;
    const score = (x: Float32Array, f: Float32Array): Float32Array => tf.tidy(() => {
      const input = tf.concat([tf.tensor2d(x, [2, V]), tf.tensor2d(f, [2, F])], 1);
      return nets.critic.apply(input, tf.tensor2d([0.1, -0.2], [2, 1])).dataSync() as Float32Array;
    });
    const s0 = score(cells, feats);
    const s1 = score(cells, feats.map((v) => v + 1));
    // (Not a rescaling: the convolutions have no bias and LayerNorm follows the first, so the conv part is blind to the shower's scale.)
    const s2 = score(cells.map((v, i) => (i % 7 === 0 ? v + 1 : v)), feats);
    // Each row's score depends on that row only: changing row 1's features leaves row 0's score.
    const s3 = score(cells, feats.map((v, i) => (i >= F ? v + 1 : v)));
    disposeNetworks(nets);
    // (Initial weights are N(0, 0.02), so the scores are small: compare them exactly.)
    expect(s1[0]).not.toBe(s0[0]);
    expect(s2[0]).not.toBe(s0[0]);
    expect(s3[0]).toBe(s0[0]);
    expect(s3[1]).not.toBe(s0[1]);
  });

  it('are refused on the conv variant with MeV values (not relative to E_inc)', () => {
    expect(() => parseWganConfig({ conv: { representation: 'mev', criticFeatures: true } }, 'my.json', wganDefaults(getGeometry('ild-ecal')))).toThrow(/my\.json.*conv\.criticFeatures.*representation.*"mev"/);
    expect(() => parseWganConfig({ conv: { representation: 'cube' } }, 'my.json')).toThrow(/conv\.representation.*root-fraction/);
    expect(() => parseWganConfig({ conv: { criticLateralScale: 0 } }, 'my.json')).toThrow(/conv\.criticLateralScale/);
    expect(() => parseWganConfig({ conv: { criticHitCut: -1 } }, 'my.json')).toThrow(/my\.json.*conv\.criticHitCut.*> 0 \(MeV\)/);
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
    delete saved.conv.representation;
    delete saved.conv.criticFeatures;
    const convOn = { ...on, conv: { ...on.conv, representation: 'root-fraction' as const, criticFeatures: true } };
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', convOn).conv).toMatchObject({ representation: 'mev', criticFeatures: false });
    delete saved.conv.criticHitFeatures;
    delete saved.conv.criticHitCut;
    delete saved.conv.criticSpectrumCuts;
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', wganDefaults(getGeometry('ild-ecal'))).conv).toMatchObject({ criticHitFeatures: false, criticHitCut: 0.1, criticSpectrumCuts: 0 });
    delete saved.dense.readoutThreshold;
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', { ...on, dense: { ...on.dense, readoutThreshold: true } }).dense.readoutThreshold).toBe(false);
    // A pion model saved before the ResNet critic was trained with the §4.4 critic.
    delete (saved.conv as Partial<typeof saved.conv>).critic;
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', wganDefaults(getGeometry('ild-hcal'))).conv.critic).toBe('dcgan');
    delete saved.criticSliceRows;
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', wganDefaults(getGeometry('ild-hcal'))).criticSliceRows).toBe(0);
    delete saved.conditionScale;
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', { ...on, conditionScale: 4 }).conditionScale).toBe(1);
  });
});
