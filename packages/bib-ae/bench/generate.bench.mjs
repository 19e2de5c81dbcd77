/**
 * Generation speed of the conv BIB-AE generator on the ILD 30×30×30 photon grid (`ild-ecal`;
 * field-reference.md §2.6 protocol: ms per shower at batch 1, 100 and 10 000) on ONNX Runtime (the
 * default runtime of `calozoo generate`), TF.js (native TensorFlow where installed) and a PyTorch
 * mirror of the same networks with the same weights (tools/bibae-reference/generate_torch.py,
 * checked against ONNX Runtime's showers).
 *
 * Speed does not depend on the weight values, so an untrained model with the published
 * initialisation (seed 1) and the published §4.1 config (`publishedConvDefaults`: ConvDecoder and
 * the per-cell PostProcessor at published sizes; the geometry's default is smaller) is timed, with one change: `sampler.kind` 'normal' instead of the default KDE,
 * which has no latents before training. Two generators are timed: the full one (decoder +
 * post-processor) and the same model with `postProcessor.enabled: false` (the decoder alone; its
 * weights are the same), so the post-processor's cost is the difference. The KDE draw is timed on
 * its own (a `KdeSampler` on 50 000 random 24-dimensional points), so the report says where the
 * time goes: sampler, decoder, post-processor.
 *
 *   npx nx run @calozoo/bib-ae:build
 *   cd packages/bib-ae && npm run bench -- [--variants full,decoder] [--seconds 3] [--threads 2] \
 *     [--batches 1,100,10000] [--rounds 3] [--no-torch] [--no-torch-large] [--no-tfjs] [--out DIR] [--no-write]
 *
 * Per batch size: one warm-up call, then calls until --seconds have passed (mean ± std of the
 * calls' ms/shower); batch 10 000 is one call (it takes minutes), after the smaller batches warmed
 * the same 8-shower network calls. The runtimes run one after the other per generator, so
 * compare ratios from one run. The PyTorch mirror runs at its faster OpenMP wait policy (default or
 * PASSIVE, tried on the smaller batches); --no-torch-large leaves out its batch-10 000 call, which
 * takes hours at its speed here. Then `--rounds` rounds (default 3, 0: none) alternate ONNX Runtime
 * and the mirror (both wait policies) on the batches below 10 000, whose median ratio a shared
 * machine's drift does not bias. Writes bench/RESULTS.md unless --no-write.
 */
import { promises as fs } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPeak } from '../../../tools/bench-native/cpu-peak.mjs';
import { benchArgs, fmt, interleavedRounds, interleavedTable, mean, policyNote, runTorchMirror, speedTable, std, timeGenerate } from '../../../tools/bench-native/generate-bench.mjs';
import { Rng, createOrtSession, getGeometry, selectTfBackend, tf, writeSafetensors } from '@calozoo/core';
import { KdeSampler, bibAePlugin, publishedConvDefaults } from '../dist/index.js';

const { args, opt, flag } = benchArgs();
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..', '..');
const GEOMETRY = 'ild-ecal';
const VARIANTS = { full: { label: 'decoder + post-processor', post: true }, decoder: { label: 'decoder only', post: false } };
const CHOSEN = opt('variants', 'full,decoder').split(',').filter(Boolean);
const SECONDS = Number(opt('seconds', 3));
const THREADS = Number(opt('threads', 2));
const BATCHES = opt('batches', '1,100,10000').split(',').filter(Boolean).map(Number);
const ROUNDS = Number(opt('rounds', 3));
const OUT = opt('out', undefined) ?? (await fs.mkdtemp(path.join(tmpdir(), 'bibae-bench-')));
/** Showers per network call of `generate` (DEFAULT_BATCH.conv in src/model.ts); the mirror uses the same. */
const NET_BATCH = 8;
/** Stored latents of the timed KDE (a trained model keeps up to sampler.kdeShowers = 20 000). */
const KDE_POINTS = 50_000;
/**
 * Bias of the post-processor's output layer in the timed model. Untrained (seed 1), that layer is
 * negative in every cell, so the ReLU makes every shower 0 and the check would compare zeros; with
 * 0.3 part of the cells are positive. Speed does not depend on the value.
 */
const POST_OUT_BIAS = 0.3;
const PEAK = cpuPeak();
const CHECK_N = 4;
const log = (...a) => console.error(...a);
for (const v of CHOSEN) if (!VARIANTS[v]) throw new Error(`--variants: unknown "${v}" (full, decoder)`);

const prod = (a) => a.reduce((p, x) => p * x, 1);

/**
 * FLOPs per shower of the decoder: 2 × every product of its Dense layers, transposed convolutions
 * (each input cell times the whole kernel) and convolutions (each output cell times the whole
 * kernel, zero padding included), as built by ConvDecoder.
 */
function decoderFlops(config, shape) {
  const { ngf, decoderHidden } = config.conv;
  const base = shape.map((s) => s / 3);
  const widths = [config.latentDim + 1, ...decoderHidden, prod(base) * ngf];
  let products = 0;
  for (let i = 0; i + 1 < widths.length; i++) products += widths[i] * widths[i + 1];
  const cells = prod(shape);
  products += prod(base) * 27 * ngf * ngf; // ConvT ngf→ngf k3 s3: 10³ → 30³
  products += cells * 27 * ngf * 2 * ngf; // ConvT ngf→2ngf k3 s2: 30³ → 60³
  products += cells * 8 * 2 * ngf * ngf; // Conv3d 2ngf→ngf k2 s2: 60³ → 30³
  for (const [a, b] of [[ngf, 2 * ngf], [2 * ngf, 4 * ngf], [4 * ngf, 2 * ngf], [2 * ngf, 1]]) products += cells * 27 * a * b; // Conv3d k3 p1 at 30³
  return 2 * products;
}

/** FLOPs per shower of the post-processor: the condition path and its join once per shower, the per-cell layers once per cell. */
function postFlops(config, cells) {
  const { channels: C, conditionWidth: W, layers } = config.postProcessor;
  return 2 * (2 * W + 2 * W * W + W * C + cells * (C + layers * C * C + C));
}

/** ms/shower of `KdeSampler.sample(n)` (what `generate` calls once per batch with the default ILD sampler), timed as `generate` is. */
function timeKde(config, sizes) {
  const A = config.activeDim;
  const points = new Rng(3).fillNormal(new Float32Array(KDE_POINTS * A));
  const t0 = performance.now();
  const kde = new KdeSampler(points, A, config.sampler.bandwidth);
  const buildMs = performance.now() - t0;
  const rows = [];
  for (const n of sizes) {
    const call = (seed) => {
      const t = performance.now();
      kde.sample(n, new Rng(seed, 1));
      return (performance.now() - t) / n;
    };
    call(1);
    const times = [];
    const end = performance.now() + SECONDS * 1000;
    do times.push(call(times.length + 2));
    while (performance.now() < end);
    rows.push({ batch: n, msPerShower: mean(times), std: std(times), calls: times.length });
  }
  log(`KDE (${KDE_POINTS} points × ${A}): built in ${fmt(buildMs)} ms; ${rows.map((r) => `n ${r.batch} ${fmt(r.msPerShower)}`).join(', ')} ms/shower`);
  return { points: KDE_POINTS, dim: A, buildMs, rows };
}

const timing = { seconds: SECONDS, threads: THREADS };
const backend = await selectTfBackend();
const load0 = loadavg()[0];
const geometry = getGeometry(GEOMETRY);
const shape = geometry.shape;
const baseConfig = publishedConvDefaults();
if (baseConfig.architecture !== 'conv') throw new Error(`${GEOMETRY}: the default bib-ae config is not the conv architecture`);
const kde = timeKde(baseConfig, [...new Set([1, 100, 10_000, ...BATCHES])].sort((a, b) => a - b));
const flops = { decoder: decoderFlops(baseConfig, shape), post: postFlops(baseConfig, geometry.voxels) };
const results = [];
for (const key of CHOSEN) {
  const variant = VARIANTS[key];
  const config = { ...baseConfig, sampler: { ...baseConfig.sampler, kind: 'normal' }, postProcessor: { ...baseConfig.postProcessor, enabled: variant.post } };
  const model = await bibAePlugin.create(config, geometry);
  if (variant.post) {
    const bias = model.nets.postProcessor.variables()['out.bias'];
    bias.assign(tf.fill(bias.shape, POST_OUT_BIAS));
  }
  const dir = path.join(OUT, `model-${key}`);
  await model.save(dir);
  await model.exportOnnx(dir);
  log(`${variant.label} (${GEOMETRY}): model in ${dir}`);

  // The check: the same latent, noise, condition and energy through ONNX Runtime here and through the mirror.
  const rng = new Rng(7);
  const A = config.activeDim;
  const N = config.latentDim - A;
  const latent = rng.fillNormal(new Float32Array(CHECK_N * A));
  const noise = rng.fillNormal(new Float32Array(CHECK_N * N));
  const energy = Float32Array.from({ length: CHECK_N }, (_, i) => 10_000 * (i + 1));
  const condition = Float32Array.from(energy, (e) => e / 1000); // the `mev` representation's condition (config.json preprocessing)
  const session = await createOrtSession(path.join(dir, 'onnx', 'generator.onnx'), { threads: THREADS });
  const feeds = { latent: { data: latent, dims: [CHECK_N, A] }, noise: { data: noise, dims: [CHECK_N, N] }, condition: { data: condition, dims: [CHECK_N, 1] }, energy: { data: energy, dims: [CHECK_N, 1] } };
  const showers = (await session.run(feeds))['showers'].data;
  await session.dispose();
  const checkFile = path.join(OUT, `check-${key}.safetensors`);
  await writeSafetensors(checkFile, {
    latent: { dtype: 'F32', data: latent, shape: [CHECK_N, A] }, noise: { dtype: 'F32', data: noise, shape: [CHECK_N, N] }, condition: { dtype: 'F32', data: condition, shape: [CHECK_N, 1] },
    energy: { dtype: 'F32', data: energy, shape: [CHECK_N, 1] }, showers: { dtype: 'F32', data: showers, shape: [CHECK_N, geometry.voxels] },
  });

  const entry = { variant: key, label: variant.label, geometry: GEOMETRY, voxels: geometry.voxels, flops: flops.decoder + (variant.post ? flops.post : 0), runtimes: {} };
  entry.runtimes.onnxruntime = await timeGenerate(model, 'onnx', BATCHES, timing);
  if (!flag('no-tfjs')) entry.runtimes[`tfjs ${backend.chosen}`] = await timeGenerate(model, 'tfjs', BATCHES.filter((b) => b < 10_000), timing);
  if (!flag('no-torch')) {
    const script = path.join(ROOT, 'tools', 'bibae-reference', 'generate_torch.py');
    const torch = runTorchMirror({ script, dir, checkFile, out: OUT, tag: key, threads: THREADS, seconds: SECONDS, batches: BATCHES, extra: ['--chunk', String(NET_BATCH)], large: !flag('no-torch-large') });
    if (torch) {
      entry.torch = { ...torch, post: torch.json.post };
      entry.runtimes[`pytorch ${torch.version}`] = torch.rows;
      if (ROUNDS > 0 && BATCHES.some((b) => b < 10_000)) {
        const mirror = { script, dir, checkFile, out: OUT, tag: key, threads: THREADS, seconds: SECONDS, extra: ['--chunk', String(NET_BATCH)] };
        entry.interleaved = await interleavedRounds({ model, batches: BATCHES, rounds: ROUNDS, timing, mirror });
      }
      log(`  (${(100 * torch.check.nonzero).toFixed(0)} % of the checked cells > 0)`);
    }
  }
  model.dispose();
  results.push(entry);
}

const load1 = loadavg()[0];
const torchKey = (e) => Object.keys(e.runtimes).find((k) => k.startsWith('pytorch'));
const lines = speedTable(results.map((e) => ({ ...e, label: `${e.label} (${e.geometry})` })), { threads: THREADS, peakFlops: PEAK.flops });

// Where the time goes, per runtime and batch: the KDE draw, the decoder alone, the post-processor (full − decoder).
const split = [];
const full = results.find((e) => e.variant === 'full');
const dec = results.find((e) => e.variant === 'decoder');
if (full && dec) {
  split.push('| batch | runtime | KDE draw (ms/shower) | decoder (ms/shower) | post-processor (ms/shower, full − decoder) | post-processor share |', '|---|---|---|---|---|---|');
  for (const [runtime, rows] of Object.entries(full.runtimes)) {
    const drows = dec.runtimes[runtime.startsWith('pytorch') ? torchKey(dec) : runtime] ?? [];
    for (const row of rows) {
      const d = drows.find((x) => x.batch === row.batch);
      const k = kde.rows.find((x) => x.batch === row.batch);
      if (!d) continue;
      const pp = row.msPerShower - d.msPerShower;
      split.push(`| ${row.batch} | ${runtime} | ${k ? fmt(k.msPerShower) : '–'} | ${fmt(d.msPerShower)} | ${fmt(pp)} | ${((100 * pp) / row.msPerShower).toFixed(0)} % |`);
    }
  }
}

const command = `cd packages/bib-ae && npm run bench -- ${args.join(' ')}`.trim();
const torchPost = results.find((e) => e.torch?.post)?.torch.post;
const text = [
  '# BIB-AE conv generator: generation time per shower',
  '',
  `- Date: ${new Date().toISOString()}`,
  `- Machine: ${PEAK.model}, ${PEAK.text}; 1-min load average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end`,
  `- Command: \`${command}\` (${THREADS} threads for every runtime: ONNX Runtime intra-op, TF.js ${backend.chosen}, torch.set_num_threads)`,
  `- Model: untrained (seed 1) default \`bib-ae\` config of \`${GEOMETRY}\` with \`sampler.kind\` 'normal' (the default KDE has no latents before training; its draw is timed separately below) and the post-processor's output bias set to ${POST_OUT_BIAS} (untrained, its output is 0 in every cell); "decoder only" is the same model with \`postProcessor.enabled: false\`.`,
  `- Protocol: \`generate\` of a batch of showers at 50 GeV (latent and noise drawn, network run in calls of ${NET_BATCH} showers, output copied to one array), one warm-up call, then calls for ${SECONDS} s; batch 10 000 is one call. core·ms = ms × ${THREADS} threads.`,
  `- FLOPs (2 × the products of every Dense layer, transposed convolution and convolution; LayerNorm and activations not counted): decoder ${(flops.decoder / 1e9).toFixed(2)} GFLOP/shower, post-processor ${(flops.post / 1e9).toFixed(2)} GFLOP/shower (${geometry.voxels} cells × the per-cell layers), together ${((flops.decoder + flops.post) / 1e9).toFixed(2)}.`,
  ...results.filter((e) => e.torch).map((e) => `- ${e.label}: PyTorch mirror vs ONNX Runtime on ${CHECK_N} showers: max |Δ| ${e.torch.check.maxAbsDiff.toExponential(2)} (max |y| ${e.torch.check.maxAbs.toExponential(2)}, ${(100 * e.torch.check.nonzero).toFixed(0)} % of the cells > 0); ${policyNote(e.torch, BATCHES)}`),
  ...(torchPost ? [`- PyTorch mirror's post-processor: ${torchPost === 'linear' ? 'nn.Linear on the channel axis of (n, cells, C)' : 'nn.Conv3d(kernel_size=1)'} (the faster of its two forms here).`] : []),
  '',
  ...lines,
  '',
  ...interleavedTable(results.map((e) => ({ label: `${e.label} (${e.geometry})`, interleaved: e.interleaved })), { rounds: ROUNDS, seconds: SECONDS }),
  `Peak = ${PEAK.text} = ${(PEAK.flops / 1e9).toFixed(0)} GFLOP/s. "PyTorch ÷ this" > 1 means faster than the PyTorch mirror.`,
  '',
  `## Where the time goes`,
  '',
  `KDE draw: \`KdeSampler.sample(n)\` on ${KDE_POINTS} random ${kde.dim}-dimensional points (built in ${fmt(kde.buildMs)} ms): ${kde.rows.map((r) => `n = ${r.batch}: ${fmt(r.msPerShower)} ± ${fmt(r.std)} ms/shower`).join('; ')}. It would replace the N(0, 1) draw of the 24 active dimensions, which the timings above include.`,
  '',
  ...(split.length ? [...split, '', 'The post-processor column is the difference of two timings, so it carries the noise of both (it can come out negative where a runtime\'s calls vary by more than the post-processor costs).', ''] : []),
];
console.log(text.join('\n'));
await fs.writeFile(path.join(OUT, 'results.json'), JSON.stringify({ results, kde, flops, load0, load1, peak: PEAK }, null, 2));
if (!flag('no-write')) await fs.writeFile(path.join(HERE, 'RESULTS.md'), text.join('\n'));
