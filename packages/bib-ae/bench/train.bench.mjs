/**
 * Training speed of the BIB-AE (issue #23: "training ≥ 1.5× the PyTorch mirror"): showers per second
 * of the two network-training stages, `bibae` (encoder + decoder with the data critics, the latent
 * critic and their gradient penalties, `criticIterations` critic updates per step) and `post` (the
 * post-processor on frozen reconstructions with the sorted-kernel MMD): on the ILD 30×30×30 photon
 * grid (`ild-ecal`, the default) the published §4.1 networks and schedule (`publishedConvDefaults`:
 * batch 8, 5 critic iterations; the geometry's default trains smaller ones), or the dense recipe on dataset-1 photons
 * (`--geometry calochallenge-1-photons`: batch 128, the resetting critic, the critics' physics
 * features, the readout threshold in training) — through core's engine (`runPhase`), as `calozoo
 * train bib-ae` runs them — and on a PyTorch mirror of the same steps with the same weights and
 * showers (tools/bibae-reference/train_torch.py, its networks checked against TF.js's outputs first).
 *
 *   npx nx run @calozoo/bib-ae:build
 *   cd packages/bib-ae && npm run bench:train -- [--geometry ild-ecal] [--steps 4] [--warmup 2] \
 *     [--threads 2] [--stages bibae,post] [--no-torch] [--out DIR] [--no-write]
 *
 * Per stage: `--warmup` steps, then `--steps` timed steps (showers/s = batch × steps / seconds,
 * measured between the engine's progress events of the first and last timed step); the stages run
 * one after the other, TF.js first, then the mirror, so compare the ratios of one run. The
 * PyTorch mirror runs with libgomp's default wait policy and with PASSIVE, the faster kept per
 * stage. Speed does not depend on the weight values: an untrained model (seed 1) is timed on
 * simulated showers. Writes bench/TRAINING.md (ILD) or bench/TRAINING-<geometry>.md unless --no-write.
 */
import { promises as fs } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPeak } from '../../../tools/bench-native/cpu-peak.mjs';
import { benchArgs, fmt } from '../../../tools/bench-native/generate-bench.mjs';
import { benchData, checkLine, runTrainMirror, timePhase, toWrite, trainTable, trainingRows } from '../../../tools/bench-native/train-bench.mjs';
import {
  Rng, cellCentres, fitCriticFeaturesFor, gatherRows, getGeometry, lateralMatrices, layerMatrix, namedValues, selectTfBackend, tf, voxelLayers, writeSafetensors,
} from '@calozoo/core';
import { bibAePlugin, buildNetworks, hasConvLayout, publishedConvDefaults } from '../dist/index.js';
import { bibaePhase, postPhase } from '../dist/training.js';

const { args, opt, flag } = benchArgs();
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..', '..');
const GEOMETRY = opt('geometry', 'ild-ecal');
const STEPS = Number(opt('steps', 4));
const WARMUP = Number(opt('warmup', 2));
const THREADS = Number(opt('threads', 2));
const STAGES = opt('stages', 'bibae,post').split(',').filter(Boolean);
const OUT = opt('out', undefined) ?? (await fs.mkdtemp(path.join(tmpdir(), 'bibae-train-bench-')));
const CHECK_N = 3;
const PEAK = cpuPeak();
const log = (...a) => console.error(...a);
for (const s of STAGES) if (!['bibae', 'post'].includes(s)) throw new Error(`--stages: unknown "${s}" (bibae, post)`);
if (!(STEPS >= 2 && WARMUP >= 1)) throw new Error('--steps must be ≥ 2 and --warmup ≥ 1');

const backend = await selectTfBackend({ threads: THREADS });
const load0 = loadavg()[0];
const geometry = getGeometry(GEOMETRY);
const config = hasConvLayout(geometry) ? publishedConvDefaults() : bibAePlugin.defaultConfig(geometry);
const dense = config.architecture === 'dense';
const B = config.batchSize;
const rows = B * (WARMUP + STEPS);
const data = await benchData(geometry, config, rows);
const nets = buildNetworks(config, geometry, 1);
// Untrained, the post-processor's output layer is negative in every cell (ReLU: all zeros); a positive bias makes the check compare numbers.
nets.postProcessor.variables()['out.bias'].assign(tf.fill([1], 0.3));

// The weights and a check for the mirror: network outputs on the same inputs, before any training changes them.
const dir = path.join(OUT, 'weights');
const components = { encoder: nets.encoder, decoder: nets.decoder, critic: nets.critic, 'latent-critic': nets.latentCritic, 'post-processor': nets.postProcessor, ...(nets.resetCritic ? { 'reset-critic': nets.resetCritic } : {}) };
for (const [name, net] of Object.entries(components)) await writeSafetensors(path.join(dir, `${name}.safetensors`), namedValues(net.variables()));
// The dense critics' physics features (the map bibaePhase fits, fitted the same way) and their matrices, for the mirror.
const features = dense ? fitCriticFeaturesFor(data, geometry, config.dense, 'bib-ae') : null;
const featureTensors = {};
if (features) {
  const layers = voxelLayers(geometry);
  const mats = { M: layerMatrix(layers), ...(config.dense.criticLateralFeatures ? (({ x, y, x2, y2 }) => ({ lx: x, ly: y, lx2: x2, ly2: y2 }))(lateralMatrices(layers, cellCentres(geometry).x, cellCentres(geometry).y)) : {}) };
  for (const [k, t] of Object.entries(toWrite(mats))) featureTensors[`features.${k}`] = t;
  featureTensors['features.mean'] = { dtype: 'F32', shape: [1, features.size], data: features.mean };
  featureTensors['features.invStd'] = { dtype: 'F32', shape: [1, features.size], data: features.invStd };
  tf.dispose(Object.values(mats));
}
const check = tf.tidy(() => {
  const rng = new Rng(7);
  const idx = data.trainRows.subarray(0, CHECK_N);
  const { x, c } = gatherRows(data, idx);
  const z = tf.tensor2d(rng.fillNormal(new Float32Array(CHECK_N * config.latentDim)), [CHECK_N, config.latentDim]);
  const e = tf.tensor2d(Float32Array.from(idx, (r) => data.energy[r]), [CHECK_N, 1]);
  const { mu, logVar } = nets.encoder.apply(x, c);
  const recon = nets.decoder.apply(z, c);
  // The post-processor's condition: E_dep/E_inc of its input (training.ts responseOf).
  const total = tf.div(tf.sum(data.repr.decode(recon, e), 1, true), e);
  const latent = tf.reshape(tf.slice(z, [0, 0], [CHECK_N, config.activeDim]), [-1, 1]);
  const f = features?.apply(recon);
  const out = {
    x, c, e, z, mu, logVar, recon, critic: nets.critic.apply(x, recon, c, f), latent, latentCritic: nets.latentCritic.apply(latent), total, post: nets.postProcessor.apply(recon, total, c),
    ...(f ? { features: f } : {}),
  };
  return toWrite(out);
});
await writeSafetensors(path.join(OUT, 'check.safetensors'), { ...check, ...featureTensors, ...trainingRows(data) });
features?.dispose();
await fs.writeFile(path.join(OUT, 'config.json'), JSON.stringify({ ...config, geometry: GEOMETRY, preprocessing: data.repr.constants }, null, 2));

const results = {};
for (const stage of STAGES) {
  const phase = stage === 'bibae' ? bibaePhase(nets, config, data, geometry, { seed: 1 }) : postPhase(nets, config, data, geometry, { seed: 1 }, true);
  const r = await timePhase(phase, { trainRows: data.trainRows, batch: B, warmup: WARMUP });
  phase.release?.();
  results[stage] = { tfjs: r };
  log(`${stage}: TF.js ${backend.chosen} ${fmt(r.showersPerSecond)} showers/s (${fmt(r.secondsPerStep)} s/step over ${r.steps} steps)`);
}

const torch = flag('no-torch') ? { stages: {}, check: null } : runTrainMirror({ script: path.join(ROOT, 'tools', 'bibae-reference', 'train_torch.py'), out: OUT, threads: THREADS, steps: STEPS, warmup: WARMUP, stages: STAGES });
for (const stage of STAGES) if (torch.stages[stage]) results[stage].torch = torch.stages[stage];
const load1 = loadavg()[0];
const command = `cd packages/bib-ae && npm run bench:train -- ${args.join(' ')}`.trim();
const critics = dense && config.loss.resetCritic > 0 ? 'data critic, resetting critic and latent critic' : 'data critic and latent critic';
const labels = { bibae: `bibae (encoder + decoder; ${critics} × ${config.criticIterations} with gradient penalties)`, post: 'post (post-processor on frozen reconstructions, MSE + sorted-kernel MMD)' };
const text = [
  `# BIB-AE ${config.architecture} training on ${GEOMETRY}: showers per second`,
  '',
  `- Date: ${new Date().toISOString()}`,
  `- Machine: ${PEAK.model}, ${PEAK.text}; 1-min load average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end`,
  `- Command: \`${command}\` (${THREADS} threads for both: native TensorFlow intra-op, torch.set_num_threads)`,
  `- Model: untrained (seed 1) default \`bib-ae\` config of \`${GEOMETRY}\` (${dense ? 'dense recipe: MLP networks, the critics\' physics features, readout threshold in training' : '§4.1 networks'}; batch ${B}, ${config.criticIterations} critic iteration${config.criticIterations === 1 ? '' : 's'}, latent ${config.latentDim} with ${config.activeDim} active), ${rows} simulated showers.`,
  `- Protocol: ${WARMUP} warm-up steps, then ${STEPS} timed steps per stage; TF.js through core's engine (\`runPhase\`, as \`calozoo train\`), PyTorch 1.13 through \`tools/bibae-reference/train_torch.py\` (Adam, the same losses and update order, the same weights and showers)${torch.check ? `, at its faster OpenMP wait policy per stage (${STAGES.map((s) => `${s}: ${Object.entries(results[s].torch?.policies ?? {}).map(([p, v]) => `${p} ${fmt(v)}`).join(', ')} showers/s`).join('; ')})` : ''}.`,
  ...(torch.check ? [`- Mirror check (same weights and inputs, max |Δ| of max |y|): ${checkLine(torch.check)}.`] : []),
  '',
  ...trainTable(STAGES.map((s) => ({ label: labels[s], ...results[s] }))),
  '',
];
console.log(text.join('\n'));
await fs.writeFile(path.join(OUT, 'results.json'), JSON.stringify({ results, torch, load0, load1, backend: backend.chosen }, null, 2));
if (!flag('no-write')) await fs.writeFile(path.join(HERE, GEOMETRY === 'ild-ecal' ? 'TRAINING.md' : `TRAINING-${GEOMETRY}.md`), text.join('\n'));
