/**
 * The critic's physics features (`features.ts`): E_dep/E_inc and layer fractions by hand, their
 * standardisation on the training rows, a gradient penalty through them against finite
 * differences, the critic's input width, and the legacy default for configs saved before the
 * option existed.
 */
import { describe, expect, it } from 'vitest';
import { Rng, getGeometry, layerSlices, tf } from '@calozoo/core';
import { buildNetworks, disposeNetworks } from './build.js';
import { parseWganConfig, wganDefaults, withLegacyKeys } from './config.js';
import { criticFeatureCount, fitCriticFeatures, layerMatrix, rawCriticFeatures, FRACTION_EPSILON } from './features.js';
import { gradientPenalty } from './losses.js';
import { representationFor } from '@calozoo/core';

// Two layers: voxels 0, 1 in layer 0 and voxel 2 in layer 1.
const layers = Int32Array.of(0, 0, 1);

describe('critic features', () => {
  it('E_dep/E_inc and layer fractions of u = E_voxel/E_inc', () => {
    const f = tf.tidy(() => rawCriticFeatures(tf.tensor2d([0.1, 0.2, 0.5, 0, 0, 0.4], [2, 3]), layerMatrix(layers)).arraySync());
    expect(f[0]![0]).toBeCloseTo(0.8, 6);
    expect(f[0]![1]).toBeCloseTo(0.3 / (0.8 + FRACTION_EPSILON), 6);
    expect(f[0]![2]).toBeCloseTo(0.5 / (0.8 + FRACTION_EPSILON), 6);
    expect(f[1]!).toEqual([expect.closeTo(0.4, 6), 0, expect.closeTo(0.4 / (0.4 + FRACTION_EPSILON), 6)]);
    expect(criticFeatureCount(2)).toBe(3);
  });

  it('are standardised with the mean and standard deviation of the training rows only, through the representation', () => {
    // sqrt-fraction with scale 1: u = x². Row 2 (not a training row) would change the constants.
    const x = Float32Array.of(Math.sqrt(0.1), Math.sqrt(0.2), Math.sqrt(0.5), 0, 0, Math.sqrt(0.4), 1, 1, 1);
    const repr = representationFor({ architecture: 'dense', dense: { representation: 'sqrt-fraction' } }, 1);
    const map = fitCriticFeatures(x, 3, Uint32Array.of(0, 1), layers, repr.fractionTf!);
    expect(map.size).toBe(3);
    expect(map.mean[0]).toBeCloseTo(0.6, 5); // E_dep/E_inc 0.8 and 0.4
    expect(map.invStd[0]).toBeCloseTo(1 / 0.2, 3);
    const out = tf.tidy(() => map.apply(tf.tensor2d(x.subarray(0, 6), [2, 3])).arraySync());
    // Two rows standardised on themselves: every feature is ±1 (or 0 where constant).
    for (let k = 0; k < 3; k++) {
      expect(out[0]![k]! + out[1]![k]!).toBeCloseTo(0, 4);
      expect(Math.abs(out[0]![k]!)).toBeCloseTo(map.invStd[k] === 0 ? 0 : 1, 3);
    }
    const half = fitCriticFeatures(x, 3, Uint32Array.of(0, 1), layers, repr.fractionTf!, 0.5);
    expect(half.invStd[0]).toBeCloseTo(0.5 / 0.2, 3);
    expect(half.mean[0]).toBeCloseTo(0.6, 5);
    half.dispose();
    map.dispose();
  });

  it('a gradient penalty through the features matches finite differences', () => {
    const rng = new Rng(4);
    const V = 3;
    const n = 4;
    const repr = representationFor({ architecture: 'dense', dense: { representation: 'sqrt-fraction' } }, 2);
    const data = Float32Array.from({ length: 4 * V }, () => 0.2 + 0.8 * rng.uniform());
    const map = fitCriticFeatures(data, V, Uint32Array.of(0, 1, 2, 3), layers, repr.fractionTf!);
    const w = tf.tensor2d(Float32Array.from({ length: V + map.size }, () => rng.uniform() - 0.5), [V + map.size, 1]);
    const critic = (x: tf.Tensor2D) => tf.tanh(tf.matMul(tf.concat([x, map.apply(x)], 1), w));
    const real = tf.tensor2d(Float32Array.from({ length: n * V }, () => 0.2 + 0.8 * rng.uniform()), [n, V]);
    const fake = tf.tensor2d(Float32Array.from({ length: n * V }, () => 0.2 + 0.8 * rng.uniform()), [n, V]);
    const alpha = tf.tensor2d(Float32Array.from({ length: n }, () => rng.uniform()), [n, 1]);
    // Input gradients by central differences (float64 arithmetic on the float32 critic is enough at h = 1e-2).
    const mixed = tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake)) as tf.Tensor2D;
    const m = mixed.arraySync();
    const h = 1e-2;
    let expected = 0;
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let v = 0; v < V; v++) {
        const plus = m[i]!.slice();
        const minus = m[i]!.slice();
        plus[v]! += h;
        minus[v]! -= h;
        const d = (critic(tf.tensor2d([plus], [1, V])).dataSync()[0]! - critic(tf.tensor2d([minus], [1, V])).dataSync()[0]!) / (2 * h);
        sq += d * d;
      }
      expected += (Math.sqrt(sq) - 1) ** 2 / n;
    }
    const gp = gradientPenalty(critic, real, fake, alpha).dataSync()[0]!;
    expect(Math.abs(gp - expected)).toBeLessThan(2e-2 * Math.max(1, expected));
    // And the penalty has a finite gradient with respect to the critic's weights (double backprop).
    const gw = tf.grad((ww: tf.Tensor) => gradientPenalty((x) => tf.tanh(tf.matMul(tf.concat([x, map.apply(x)], 1), ww as tf.Tensor2D)), real, fake, alpha))(w);
    expect(Array.from(gw.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Array.from(gw.dataSync()).some((v) => v !== 0)).toBe(true);
    map.dispose();
  });

  it('widen the dense critic by 1 + layers inputs when enabled', () => {
    const geometry = getGeometry('ds1-photons');
    const base = wganDefaults(geometry);
    const L = layerSlices(geometry).length;
    const width = (criticFeatures: boolean): number => {
      const nets = buildNetworks({ ...base, dense: { ...base.dense, criticHidden: [8], generatorHidden: [8], constrainerHidden: [4], criticFeatures } }, geometry);
      const k = Object.entries(nets.critic.variables()).find(([name]) => name.includes('fc0') && name.endsWith('kernel'))![1];
      const rows = k.shape[0]!;
      disposeNetworks(nets);
      return rows;
    };
    expect(width(false)).toBe(geometry.voxels + 1);
    expect(width(true)).toBe(geometry.voxels + 1 + L + 1);
  });

  it('are off in a saved config that predates them, whatever the default', () => {
    const saved = JSON.parse(JSON.stringify(wganDefaults(getGeometry('ds1-photons'))));
    delete saved.dense.criticFeatures;
    const defaults = wganDefaults(getGeometry('ds1-photons'));
    const on = { ...defaults, dense: { ...defaults.dense, criticFeatures: true } };
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', on).dense.criticFeatures).toBe(false);
    expect(parseWganConfig(withLegacyKeys({ ...saved, dense: { ...saved.dense, criticFeatures: true } }), 'config.json', on).dense.criticFeatures).toBe(true);
    expect(parseWganConfig({}, 'user.json', on).dense.criticFeatures).toBe(true);
    delete saved.dense.readoutThreshold;
    expect(parseWganConfig(withLegacyKeys(saved), 'config.json', { ...on, dense: { ...on.dense, readoutThreshold: true } }).dense.readoutThreshold).toBe(false);
  });
});
