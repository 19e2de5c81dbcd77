/**
 * Which network limits the shower shapes? Compares, on held-out simulated DS1 photons, the shape
 * observables of (a) VAE reconstructions (encoder mean → decoder, true layer energies),
 * (b) latent-flow samples decoded with the true layer energies, (c) full generation. (a) and (b)
 * sample the decoder as generation does (`generation.decoderNoise`). Prints each one's separation
 * powers and the mean ± std of the shape observables the classifier finds (a std below the held-out
 * showers' is a shower-to-shower fluctuation the model lost).
 * Run: npx vite-node --config vitest.config.ts scripts/diagnose-ds1.ts <model dir> [n] [simulator variation]
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, getGeometry, layerSlices, selectTfBackend, toLayerFractions, type Showers } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { FeatureExtractor, column, evaluate } from '@calozoo/metrics';
import { calomanPlugin, type CaloManModel } from '../src/index.js';
import { standardise, thresholded, voxelForward } from '../src/preprocess.js';

await selectTfBackend();
const g = getGeometry('calochallenge-1-photons');
const n = Number(process.argv[3] ?? 5000);
const model = (await calomanPlugin.load(process.argv[2])) as CaloManModel;
const variation = process.argv[4];
const test = simulateShowers(g, { n, seed: 2001, ...(variation ? { variation } : {}) });
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
// The decoder sampled as generation samples it (ConditionalVae.sample: mean + decoderNoise · σ · ε, hits drawn for zero-inflated).
const k = model.config.generation.decoderNoise;
const noise = new Rng(11).fillNormal(new Float32Array(n * g.voxels)) as Float32Array;
const hits = new Rng(12).fillUniform(new Float32Array(n * g.voxels)) as Float32Array;
const decoded = (z: tf.Tensor2D): Float32Array => {
  const v = tf.tidy(() => model.nets.vae.sample(z, tf.tensor2d(y, [n, 1 + L]), k, tf.tensor2d(noise, [n, g.voxels]), tf.tensor2d(hits, [n, g.voxels]), layerSlices(g)));
  const out = new Float32Array(v.dataSync() as Float32Array);
  v.dispose();
  return model.meanToShowers(out, test.energy, layerEnergy);
};
const variants: Record<string, Showers> = {
  reconstruction: shower(decoded(zMean)),
  'latent-flow, true layer energies': shower(decoded(zFlow)),
  generation: await model.generate({ energy: test.energy }, { seed: 9 }),
};
// Mean ± std of the shape observables the classifier finds: a too-small std is a fluctuation the model lost.
const SHAPES = ['Width_r[1]', 'Width_eta[1]', 'EC_phi[1]', 'EC_phi[2]', 'EC_eta[2]', 'Sparsity[1]', 'Sparsity[2]', 'n_hit'];
const moments = (s: Showers): Record<string, string> => {
  const ex = new FeatureExtractor(g);
  ex.consume(s);
  const t = ex.finish();
  return Object.fromEntries(
    SHAPES.map((c) => {
      const a = column(t, c);
      const m = a.reduce((x, v) => x + v, 0) / a.length;
      return [c, `${m.toFixed(2)} ± ${Math.sqrt(a.reduce((x, v) => x + (v - m) ** 2, 0) / a.length).toFixed(2)}`];
    }),
  );
};
console.log(JSON.stringify({ name: 'held-out showers', moments: moments(test) }));
for (const [name, s] of Object.entries(variants)) {
  const { result } = await evaluate({ reference: test, generated: s, geometry: g, modes: ['hist-chi'] });
  const by = result.summary!.byGroup;
  console.log(JSON.stringify({ name, meanS: result.summary!.meanSeparationPower, EC_eta: by['EC_eta'], EC_phi: by['EC_phi'], Width_r: by['Width_r'], Sparsity: by['Sparsity'], worst: result.summary!.worst, moments: moments(s) }));
}
