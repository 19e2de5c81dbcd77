/**
 * CaloMan generation speed (field-reference.md §2.6 protocol: ms per shower at batch 1, 100 and
 * 10 000, mean ± std over repeated measurements) on the built dist/, plus the inputs and outputs
 * that tools/caloman-reference/generate_torch.py needs to check its PyTorch mirror.
 *
 * Speed does not depend on weight values, so without --model an untrained model with the default
 * dataset-1-photon config is created. The model is saved to a directory (temporary unless --out)
 * so that the PyTorch reference times and checks the same weights.
 *
 *   npx tsc -p packages/core/tsconfig.build.json && npx tsc -p packages/flows/tsconfig.build.json \
 *     && npx tsc -p packages/caloman/tsconfig.build.json
 *   cd packages/caloman && npm run bench -- [--model DIR] [--out DIR] [--seconds 2] [--no-wasm] [--json FILE]
 *   /usr/bin/python3 ../../tools/caloman-reference/generate_torch.py OUT_DIR/model --check OUT_DIR/check
 *
 * Timed per batch size: `generate` (the full path: EPL flow, preprocessing inversion, latent flow,
 * decoder, clip/threshold/rescale) and each network alone (EPL-flow sample, latent-flow sample,
 * decoder forward, each including the read-back to JavaScript).
 */
import { promises as fs } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, getGeometry, selectTfBackend } from '@calozoo/core';
import { DS1_ENERGIES_MEV, calomanPlugin, defaultConfigFor } from '../dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const seconds = Number(opt('--seconds', process.env.BENCH_SECONDS ?? 2));
const modelArg = opt('--model', undefined);
const outDir = opt('--out', undefined) ?? (await fs.mkdtemp(path.join(tmpdir(), 'caloman-bench-')));
const jsonOut = opt('--json', path.join(outDir, 'results-tfjs.json'));
const withWasm = !args.includes('--no-wasm');
const BATCHES = [1, 100, 10_000];
const CHECK_N = 64;

const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const std = (a) => Math.sqrt(a.reduce((s, x) => s + (x - mean(a)) ** 2, 0) / Math.max(1, a.length - 1));

/** Calls fn once to warm up, then at least 3 times and for at least `seconds`; ms per call. */
async function repeat(fn, minSeconds = seconds) {
  await fn();
  const times = [];
  const t0 = performance.now();
  while (times.length < 3 || performance.now() - t0 < minSeconds * 1000) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times;
}

/** Incident energies drawn from dataset 1's 15 values. */
function energies(n, seed) {
  const rng = new Rng(seed, 11);
  return Float32Array.from({ length: n }, () => DS1_ENERGIES_MEV[rng.int(DS1_ENERGIES_MEV.length)]);
}

/** Times the full generate and the three networks at each batch size. */
async function timeModel(model, batches, minSeconds) {
  const rows = [];
  const L = model.slices.length;
  const D = model.config.latentDim;
  for (const n of batches) {
    const energy = energies(n, n);
    let seed = 1;
    const gen = await repeat(() => model.generate({ energy }, { seed: seed++, batchSize: n }), minSeconds);
    const rng = new Rng(5);
    const ctx = tf.tensor2d(Float32Array.from(energy, (e) => Math.log10(e)), [n, 1]);
    const y = tf.randomUniform([n, 1 + L], -1, 1, 'float32', 3);
    const z = tf.randomNormal([n, D], 0, 1, 'float32', 4);
    const epl = await repeat(() => tf.tidy(() => model.nets.epl.sample(n, rng, ctx).dataSync()), minSeconds);
    const latent = await repeat(() => tf.tidy(() => model.nets.latentFlow.sample(n, rng, y).dataSync()), minSeconds);
    const dec = await repeat(() => tf.tidy(() => model.nets.vae.decode(z, y).dataSync()), minSeconds);
    tf.dispose([ctx, y, z]);
    const stat = (t) => ({ meanMs: mean(t) / n, stdMs: std(t) / n, reps: t.length });
    const row = { batch: n, generate: stat(gen), eplSample: stat(epl), latentSample: stat(latent), decode: stat(dec) };
    const f = (s) => `${s.meanMs.toPrecision(3)} ± ${s.stdMs.toPrecision(2)}`;
    console.log(
      `  batch ${n}: generate ${f(row.generate)} ms/shower (${(1000 / row.generate.meanMs).toFixed(0)} showers/s, ${gen.length} reps); ` +
        `EPL ${f(row.eplSample)}, latent flow ${f(row.latentSample)}, decoder ${f(row.decode)}`,
    );
    rows.push(row);
  }
  return rows;
}

/** Writes float32 arrays as raw little-endian files plus a manifest of shapes. */
async function dumpCheck(model, dir) {
  await fs.mkdir(dir, { recursive: true });
  const n = CHECK_N;
  const L = model.slices.length;
  const D = model.config.latentDim;
  const energy = energies(n, 99);
  const layerE = model.sampleLayerEnergies(energy, new Rng(21));
  const y = model.condition(energy, layerE);
  const noise = (k, seed) => new Rng(seed).fillNormal(new Float32Array(n * k));
  const eplCtx = Float32Array.from(energy, (e) => Math.log10(e + 0.001));
  const arrays = {
    eplNoise: [noise(L, 31), [n, L]],
    eplContext: [eplCtx, [n, 1]],
    eplOut: [tf.tidy(() => model.nets.epl.sample(n, new Rng(31), tf.tensor2d(eplCtx, [n, 1])).dataSync()), [n, L]],
    latentNoise: [noise(D, 32), [n, D]],
    y: [y, [n, 1 + L]],
    latentOut: [tf.tidy(() => model.nets.latentFlow.sample(n, new Rng(32), tf.tensor2d(y, [n, 1 + L])).dataSync()), [n, D]],
    z: [noise(D, 33), [n, D]],
  };
  arrays.decoderOut = [tf.tidy(() => model.nets.vae.decode(tf.tensor2d(arrays.z[0], [n, D]), tf.tensor2d(y, [n, 1 + L])).dataSync()), [n, model.geometry.voxels]];
  const manifest = { slices: model.slices.map((s) => [s.start, s.end]) };
  for (const [name, [data, shape]] of Object.entries(arrays)) {
    const buf = Buffer.from(new Float32Array(data).buffer);
    await fs.writeFile(path.join(dir, `${name}.f32`), buf);
    manifest[name] = shape;
  }
  await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
}

const load0 = loadavg();
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${new Date().toISOString()}, load ${load0.map((x) => x.toFixed(2)).join(' ')}`);
const report = { date: new Date().toISOString(), cpu: cpus()[0]?.model, node: process.version, seconds, backends: {} };

const device = await selectTfBackend({ backend: 'tensorflow' });
console.log(`backend ${device.chosen} (${JSON.stringify(device.versions)})`);
const geometry = getGeometry('calochallenge-1-photons');
const model = modelArg ? await calomanPlugin.load(modelArg) : await calomanPlugin.create(defaultConfigFor(geometry), geometry);
const modelDir = path.join(outDir, 'model');
if (!modelArg) await model.save(modelDir);
const params = model.parameterCount();
console.log(`model ${modelArg ?? `untrained default (saved to ${modelDir})`}: latentDim ${model.config.latentDim}, ${params.generation} generation parameters`);
report.model = { dir: modelArg ?? modelDir, latentDim: model.config.latentDim, generationParameters: params.generation };
await dumpCheck(model, path.join(outDir, 'check'));
console.log(`check inputs/outputs written to ${path.join(outDir, 'check')}`);
report.backends.tensorflow = await timeModel(model, BATCHES, seconds);
model.dispose();

if (withWasm) {
  const w = await selectTfBackend({ backend: 'wasm' });
  console.log(`backend ${w.chosen} (${w.threads} threads)`);
  const wm = await calomanPlugin.load(modelArg ?? modelDir);
  report.backends.wasm = await timeModel(wm, [1, 100], Math.min(seconds, 2));
  wm.dispose();
}
report.loadavg = { start: load0, end: loadavg() };
await fs.writeFile(jsonOut, JSON.stringify(report, null, 1));
console.log(`load average at end ${report.loadavg.end.map((x) => x.toFixed(2)).join(' ')}; results in ${jsonOut}`);
