/**
 * The difference critics: the physics features (core's `train/critic-features.ts` on the
 * candidate branch), the readout threshold in training and the resetting critic. The critic's
 * input width, its refusal of a feature count it was not built for, the legacy values for configs
 * saved before the options existed (the critic's weights of such a model have the narrow input and
 * no resetting critic), the resetting critic's fresh draws, and a short training with it that
 * saves and loads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, criticFeatureCount, getGeometry, layerSlices, memorySource, tf } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { tinyConfig } from '../test/tiny.js';
import { buildCritic, buildNetworks, disposeNetworks, redrawCritic, resetCriticStream } from './build.js';
import { bibAeDefaults, parseBibAeConfig, withLegacyKeys } from './config.js';
import { bibAePlugin } from './plugin.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'bib-ae-critics-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const geometry = getGeometry('ds1-photons');
const L = layerSlices(geometry).length;

describe('critic features', () => {
  it('widen the candidate branch by 1 + L inputs, 4 more per layer with the lateral ones; the difference branch keeps V', () => {
    const base = bibAeDefaults(geometry);
    const widths = (criticFeatures: boolean, criticLateralFeatures: boolean): [number, number] => {
      const nets = buildNetworks({ ...base, dense: { ...base.dense, encoderHidden: [8], decoderHidden: [8], criticHidden: [8], criticFeatures, criticLateralFeatures } }, geometry, 1);
      const v = nets.critic.variables();
      const rows = (branch: string): number => Object.entries(v).find(([k]) => k.startsWith(`${branch}.fc0.`) && k.endsWith('kernel'))![1].shape[0]!;
      const out: [number, number] = [rows('candidate'), rows('difference')];
      disposeNetworks(nets);
      return out;
    };
    expect(widths(false, false)).toEqual([geometry.voxels, geometry.voxels]);
    expect(widths(true, false)).toEqual([geometry.voxels + 1 + L, geometry.voxels]);
    expect(widths(true, true)).toEqual([geometry.voxels + 1 + 5 * L, geometry.voxels]);
    expect(criticFeatureCount(L, true)).toBe(1 + 5 * L);
  });

  it('a critic built for features refuses a call without them (and the other way round)', () => {
    const base = bibAeDefaults(geometry);
    const on = buildNetworks({ ...base, dense: { ...base.dense, encoderHidden: [8], decoderHidden: [8], criticHidden: [8] } }, geometry, 1);
    const off = buildNetworks({ ...base, dense: { ...base.dense, encoderHidden: [8], decoderHidden: [8], criticHidden: [8], criticFeatures: false } }, geometry, 1);
    tf.tidy(() => {
      const x = tf.zeros([2, geometry.voxels]) as tf.Tensor2D;
      const c = tf.zeros([2, 1]) as tf.Tensor2D;
      const f = tf.zeros([2, criticFeatureCount(L, true)]) as tf.Tensor2D;
      expect(() => on.critic.apply(x, x, c)).toThrow(/built for 26 candidate features, given 0/);
      expect(() => off.critic.apply(x, x, c, f)).toThrow(/built for 0 candidate features, given 26/);
      expect(on.critic.apply(x, x, c, f).shape).toEqual([2, 1]);
    });
    disposeNetworks(on);
    disposeNetworks(off);
  });

  it('are off, and so is the training readout, in a saved config that predates them, whatever the default', () => {
    const defaults = bibAeDefaults(geometry);
    expect(defaults.dense.criticFeatures && defaults.dense.criticLateralFeatures).toBe(true);
    expect(defaults.trainingReadout).toBe('straight-through');
    const saved = JSON.parse(JSON.stringify(defaults));
    delete saved.trainingReadout;
    delete saved.dense.criticFeatures;
    delete saved.dense.criticLateralFeatures;
    const old = parseBibAeConfig(withLegacyKeys(saved), 'config.json', defaults);
    expect([old.trainingReadout, old.dense.criticFeatures, old.dense.criticLateralFeatures]).toEqual(['off', false, false]);
    // Keys a config has are kept; a user's partial config takes today's defaults.
    const kept = parseBibAeConfig(withLegacyKeys({ ...saved, trainingReadout: 'kept', dense: { ...saved.dense, criticFeatures: true } }), 'config.json', defaults);
    expect([kept.trainingReadout, kept.dense.criticFeatures, kept.dense.criticLateralFeatures]).toEqual(['kept', true, false]);
    expect(parseBibAeConfig({}, 'user.json', defaults).dense.criticFeatures).toBe(true);
    expect(() => parseBibAeConfig({ trainingReadout: 'on' }, 'my.json')).toThrow(/"trainingReadout" must be one of off, kept, straight-through/);
    delete saved.loss.resetCritic;
    expect(parseBibAeConfig(withLegacyKeys(saved), 'config.json', { ...defaults, loss: { ...defaults.loss, resetCritic: 1 } }).loss.resetCritic).toBe(0);
  });
});

describe('resetting critic', () => {
  const base = tinyConfig(bibAeDefaults(geometry));
  const config = { ...base, loss: { ...base.loss, resetCritic: 1 } };

  it('is built only when weighted, and each epoch redraws it from its own stream', () => {
    expect(bibAeDefaults(geometry).loss.resetCritic).toBe(1);
    const off = buildNetworks({ ...base, loss: { ...base.loss, resetCritic: 0 } }, geometry, 1);
    expect(off.resetCritic).toBeUndefined();
    disposeNetworks(off);
    const nets = buildNetworks(config, geometry, 1);
    const values = (vars: Record<string, tf.Variable>): Record<string, number[]> => Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, Array.from(v.dataSync())]));
    const initial = values(nets.resetCritic!.variables());
    redrawCritic(nets.resetCritic!, config, geometry, new Rng(1, resetCriticStream(2)));
    const drawn = values(nets.resetCritic!.variables());
    const fresh = buildCritic(config, geometry, new Rng(1, resetCriticStream(2)));
    expect(drawn).toEqual(values(fresh.variables()));
    expect(drawn).not.toEqual(initial);
    // The persistent critic is a different network (its own stream).
    expect(values(nets.critic.variables())).not.toEqual(initial);
    fresh.dispose();
    disposeNetworks(nets);
  });

  it('trains beside the critic (its loss in every epoch), and its weights save and load with the critic', async () => {
    const train = simulateShowers(geometry, { n: 400, seed: 5 });
    const model = await bibAePlugin.create(config, geometry);
    const r = await model.fit(memorySource(train), { seed: 1, epochs: 2 });
    const rows = r.history.filter((h) => h.phase === 'bibae');
    expect(rows).toHaveLength(2);
    for (const h of rows) expect(Number.isFinite(h.values!['reset-critic'])).toBe(true);
    const dir = path.join(tmp, 'model');
    await model.save(dir);
    const energy = Float32Array.of(1024, 65536);
    const a = await model.generate({ energy }, { seed: 2 });
    model.dispose();
    const loaded = await bibAePlugin.load(dir);
    const b = await loaded.generate({ energy }, { seed: 2 });
    loaded.dispose();
    expect(Array.from(b.values)).toEqual(Array.from(a.values));
  }, 120_000);
});
