/**
 * `generateVariant` and `fitKde` (the ablations' generation): the config's own variant gives the
 * showers of `generate` on TF.js; switching the post-processor off or the sampler to N(0, 1) or a
 * KDE changes them; the KDE is fitted on the encoder means of the first `sampler.kdeShowers`
 * showers; a sampler the model cannot draw from is refused with a message saying why.
 */
import { describe, expect, it } from 'vitest';
import { getGeometry, memorySource, prepareData, tf } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { bibAePlugin, type BibAeModel } from '../src/index.js';
import { samplerData } from '../src/training.js';
import { tinyConfig } from './tiny.js';

const geometry = getGeometry('ds1-photons');
const data = simulateShowers(geometry, { n: 240, seed: 41 });
const energy = data.energy.slice(0, 50);
const base = tinyConfig(bibAePlugin.defaultConfig(geometry));

describe('bib-ae generateVariant and fitKde', () => {
  it('the config variant equals generate on TF.js; the post-processor and the sampler switch', async () => {
    const model = (await bibAePlugin.create({ ...base, sampler: { ...base.sampler, kind: 'flow', kdeShowers: 100 } }, geometry)) as BibAeModel;
    await model.fit(memorySource(data), { seed: 1, epochs: 1 });
    const own = await model.generate({ energy }, { seed: 3, runtime: 'tfjs' });
    const same = await model.generateVariant({ energy }, { seed: 3 }, { sampler: 'flow', postProcessor: true });
    expect(same.values).toEqual(own.values);
    // The flow learns standardised latents and E_dep/E_inc (per column mean 0, sd 1 over the
    // training rows); generation scales its draws back with the saved constants.
    const d = await prepareData(memorySource(data), geometry, () => model['repr'], model.config, { seed: 1, name: 'bib-ae' });
    const s = samplerData(model.nets, model.config, d, 1);
    const A = base.activeDim;
    for (let j = 0; j <= A; j++) {
      let m = 0;
      let v = 0;
      for (const r of d.trainRows) m += s.x[r * (A + 1) + j]! / d.trainRows.length;
      for (const r of d.trainRows) v += (s.x[r * (A + 1) + j]! - m) ** 2 / (d.trainRows.length - 1);
      expect(Math.abs(m)).toBeLessThan(1e-5);
      expect(Math.sqrt(v)).toBeCloseTo(1, 4);
    }
    expect(model['samplerState'].latentMean).toEqual(s.latentMean);
    expect(model['samplerState'].latentStd).toEqual(s.latentStd);
    expect(s.latentStd.every((v) => v > 0 && v !== 1)).toBe(true);
    const noPost = await model.generateVariant({ energy }, { seed: 3 }, { sampler: 'flow', postProcessor: false });
    expect(noPost.values).not.toEqual(own.values);
    const normal = await model.generateVariant({ energy }, { seed: 3 }, { sampler: 'normal', postProcessor: true });
    expect(normal.values).not.toEqual(own.values);

    await expect(model.generateVariant({ energy }, { seed: 3 }, { sampler: 'kde', postProcessor: true })).rejects.toThrow(/call fitKde with the training showers first/);
    const kde = await model.fitKde(memorySource(data));
    expect(kde.points.length).toBe(100 * base.activeDim);
    // The first point: the encoder mean of the first shower, encoded as training encodes it.
    const V = geometry.voxels;
    const x = new Float32Array(V);
    model['repr'].encode(data.values.subarray(0, V), data.energy[0]!, x);
    const mu = tf.tidy(() => model.nets.encoder.apply(tf.tensor2d(x, [1, V]), tf.tensor2d(model['repr'].condition(data.energy.subarray(0, 1)), [1, 1])).mu.dataSync());
    expect(Array.from(kde.points.subarray(0, base.activeDim))).toEqual(Array.from(mu));
    const fromKde = await model.generateVariant({ energy }, { seed: 3 }, { sampler: 'kde', postProcessor: true });
    expect(fromKde.values.length).toBe(energy.length * V);
    expect(fromKde.values).not.toEqual(normal.values);
    model.dispose();
  }, 120_000);

  it('refuses the flow variant of a model trained with another sampler', async () => {
    const model = (await bibAePlugin.create({ ...base, sampler: { ...base.sampler, kind: 'normal' } }, geometry)) as BibAeModel;
    await expect(model.generateVariant({ energy }, { seed: 3 }, { sampler: 'flow', postProcessor: true })).rejects.toThrow(/trained with the normal sampler; it has no trained flow/);
    model.dispose();
  });
});
