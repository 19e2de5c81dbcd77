/**
 * Which network limits the shower shapes? Compares, on held-out simulated DS1 photons, the shape
 * observables of (a) VAE reconstructions (encoder mean → decoder, true layer energies),
 * (b) latent-flow samples decoded with the true layer energies, (c) full generation.
 * Run: npx vite-node --config vitest.config.ts scripts/diagnose-ds1.ts <model dir> [n]
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, getGeometry, layerSlices, selectTfBackend, toLayerFractions, type Showers } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { evaluate } from '@calozoo/metrics';
import { calomanPlugin, type CaloManModel } from '../src/index.js';
import { standardise, thresholded, voxelForward } from '../src/preprocess.js';

await selectTfBackend();
const g = getGeometry('calochallenge-1-photons');
const n = Number(process.argv[3] ?? 5000);
const model = (await calomanPlugin.load(process.argv[2])) as CaloManModel;
const test = simulateShowers(g, { n, seed: 2001 });
const values = thresholded(test.values, model.config.thresholdMeV);
const { layerEnergy, fractions } = toLayerFractions(values, n, g.voxels, layerSlices(g));
const y = model.condition(test.energy, layerEnergy);
const L = layerSlices(g).length;
const x = voxelForward(fractions, model.config.voxelTransform);
const zMean = tf.tidy(() => model.nets.vae.encode(tf.tensor2d(x, [n, g.voxels]), tf.tensor2d(y, [n, 1 + L])).mu);
const zFlow = tf.tidy(() => {
  const z = model.nets.latentFlow.sample(n, new Rng(5), tf.tensor2d(y, [n, 1 + L])).dataSync() as Float32Array;
  return tf.tensor2d(standardise(new Float32Array(z), model.state.latent, true), [n, model.config.latentDim]);
});
const shower = (v: Float32Array): Showers => ({ n, voxels: g.voxels, energy: test.energy, values: v });
const variants: Record<string, Showers> = {
  reconstruction: shower(model.decodeShowers(zMean, y, test.energy, layerEnergy)),
  'latent-flow, true layer energies': shower(model.decodeShowers(zFlow, y, test.energy, layerEnergy)),
  generation: await model.generate({ energy: test.energy }, { seed: 9 }),
};
for (const [name, s] of Object.entries(variants)) {
  const { result } = await evaluate({ reference: test, generated: s, geometry: g, modes: ['hist-chi'] });
  const by = result.summary!.byGroup;
  console.log(JSON.stringify({ name, meanS: result.summary!.meanSeparationPower, EC_eta: by['EC_eta'], Width_eta: by['Width_eta'], Width_r: by['Width_r'], Sparsity: by['Sparsity'], worst: result.summary!.worst }));
}
