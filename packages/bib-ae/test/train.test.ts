/**
 * A short training run works: on dataset-1 photons (dense variant, narrow networks) the showers
 * generated for a separate held-out sample's energies move towards that sample in E_dep/E_inc,
 * longitudinal centre and sparsity (mean separation power, lower is better) compared with the
 * untrained model; the BIB-AE's own loss falls; the post-processor's sorted-kernel MMD stage and
 * the flow sampler train (held-out negative log-likelihood falls).
 */
import { describe, expect, it } from 'vitest';
import { getGeometry, memorySource, showerFeatures, validationScore, voxelLayers, type Showers } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { bibAePlugin, type BibAeConfig } from '../src/index.js';

const geometry = getGeometry('ds1-photons');
const train = simulateShowers(geometry, { n: 1500, seed: 5 });
const heldOut = simulateShowers(geometry, { n: 600, seed: 6 });
const defaults = bibAePlugin.defaultConfig(geometry);
const config: BibAeConfig = {
  ...defaults,
  latentDim: 16,
  activeDim: 8,
  batchSize: 64,
  postProcessor: { ...defaults.postProcessor, channels: 16, conditionWidth: 16, layers: 1 },
  sampler: { ...defaults.sampler, flow: { ...defaults.sampler.flow, couplings: 2, hidden: 32, blocks: 1, batchSize: 128 } },
  dense: { ...defaults.dense, encoderHidden: [128], decoderHidden: [128], criticHidden: [64] },
};

/** Mean separation power of generated showers for the held-out energies against the held-out showers. */
async function heldOutScore(model: { generate: (c: { energy: Float32Array }, o: { seed: number }) => Promise<Showers> }): Promise<number> {
  const layers = voxelLayers(geometry);
  const gen = await model.generate({ energy: heldOut.energy }, { seed: 3 });
  return validationScore(showerFeatures(heldOut.values, heldOut.energy, layers), showerFeatures(gen.values, heldOut.energy, layers)).score;
}

describe('bib-ae training (dense, dataset 1 photons)', () => {
  it('lowers the held-out separation power and every stage its loss', async () => {
    const model = await bibAePlugin.create(config, geometry);
    const short = await bibAePlugin.create(config, geometry);
    await short.fit(memorySource(train), { seed: 1, epochs: 1 });
    const before = await heldOutScore(short);
    short.dispose();
    const r = await model.fit(memorySource(train), { seed: 1, epochs: 12 });
    const after = await heldOutScore(model);
    console.log(`held-out mean separation power: 1 epoch ${before.toFixed(3)}, 12 epochs ${after.toFixed(3)}`);
    expect(after).toBeLessThan(0.85 * before);
    const phase = (p: string) => r.history.filter((h) => h.phase === p);
    const main = phase('bibae').map((h) => h.values!['main']!);
    expect(main[main.length - 1]!).toBeLessThan(0.8 * main[0]!);
    const post = phase('post').map((h) => h.trainLoss);
    expect(Math.min(...post.slice(-3))).toBeLessThan(post[0]!);
    const nll = phase('sampler').map((h) => h.validationLoss!);
    expect(Math.min(...nll)).toBeLessThan(nll[0]! - 1);
    model.dispose();
  }, 300_000);
});
