/**
 * Generation speed of the conv WGAN generators (field-reference.md §2.6 protocol: ms per shower at
 * batch 1, 100 and 10 000) on ONNX Runtime (the default runtime of `calozoo generate`), TF.js
 * (native TensorFlow where installed) and a PyTorch mirror of the same generator with the same
 * weights (tools/wgan-reference/generate_torch.py, checked against ONNX Runtime's showers).
 *
 * Speed does not depend on the weight values, so an untrained model with the published
 * initialisation (seed 1) and the geometry's default config is timed: the 30×30×30 photon
 * generator (§4.4) on `ild-ecal` and the 48×25×25 pion generator (§4.5) on `ild-hcal`.
 *
 *   npx nx run @calozoo/wgan:build
 *   cd packages/wgan && npm run bench -- [--geometries ild-ecal,ild-hcal] [--seconds 3] \
 *     [--threads 2] [--batches 1,100,10000] [--rounds 3] [--no-torch] [--no-tfjs] [--out DIR] [--no-write]
 *
 * Per batch size: one warm-up call, then calls until --seconds have passed (mean ± std of the
 * calls' ms/shower); batch 10 000 is one call (it takes minutes), after the smaller batches warmed
 * the same network calls (the model's default size: 4 showers on ONNX Runtime's CPU provider, 16
 * on TF.js; the PyTorch mirror's fastest, 16). The runtimes run one after the other per geometry, so
 * compare ratios from one run; then `--rounds` rounds (default 3, 0: none) alternate ONNX Runtime
 * and the mirror (both wait policies) on the batches below 10 000, whose median ratio a shared
 * machine's drift does not bias. Writes bench/RESULTS.md unless --no-write.
 */
import { promises as fs } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPeak } from '../../../tools/bench-native/cpu-peak.mjs';
import { benchArgs, interleavedRounds, interleavedTable, policyNote, runTorchMirror, speedTable, timeGenerate, torchRows } from '../../../tools/bench-native/generate-bench.mjs';
import { Rng, createOrtSession, getGeometry, selectTfBackend, writeSafetensors } from '@calozoo/core';
import { publishedConv, upSpecs, wganGpPlugin } from '../dist/index.js';

const { args, opt, flag } = benchArgs();
const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..', '..');
const GEOMETRIES = opt('geometries', 'ild-ecal,ild-hcal').split(',').filter(Boolean);
const SECONDS = Number(opt('seconds', 3));
const THREADS = Number(opt('threads', 2));
const BATCHES = opt('batches', '1,100,10000').split(',').filter(Boolean).map(Number);
const ROUNDS = Number(opt('rounds', 3));
const OUT = opt('out', undefined) ?? (await fs.mkdtemp(path.join(tmpdir(), 'wgan-bench-')));
const PEAK = cpuPeak();
const CHECK_N = 4;
const log = (...a) => console.error(...a);

/** FLOPs per shower of the generator: 2 × every product a transposed convolution forms (each input cell times the whole kernel). */
function generatorFlops(layout, latent, ngf) {
  let flops = 2 * (1 + latent) * 4 * ngf * 64; // the two stems: 1³ → 4³ with k4
  let shape = [4, 4, 4];
  let cin = 8 * ngf;
  const t = (x) => (typeof x === 'number' ? [x, x, x] : x);
  for (const s of upSpecs(layout, ngf)) {
    const [k, st, p] = [t(s.kernel), t(s.stride), t(s.padding)];
    flops += 2 * cin * s.out * k[0] * k[1] * k[2] * shape[0] * shape[1] * shape[2];
    shape = shape.map((n, i) => (n - 1) * st[i] - 2 * p[i] + k[i]);
    cin = s.out;
  }
  return flops;
}

const RENDER_FROM = opt('render-from', undefined);
const timing = { seconds: SECONDS, threads: THREADS };
let run;
if (RENDER_FROM) {
  // Renders the tables again from an earlier run's results.json (the measurements as they were;
  // PyTorch's rows re-derived from its stored per-policy timings).
  run = JSON.parse(await fs.readFile(path.join(RENDER_FROM, 'results.json'), 'utf8'));
  for (const e of run.results) {
    const key = Object.keys(e.runtimes).find((k) => k.startsWith('pytorch'));
    if (key && e.torch?.policies) e.runtimes[key] = torchRows({ policies: e.torch.policies, large: e.torch.large ?? e.runtimes[key].filter((r) => r.batch >= 10_000), policy: e.torch.policy });
  }
} else run = await measure();

/** Runs every runtime on every geometry; returns what results.json keeps. */
async function measure() {
  const backend = await selectTfBackend();
  const load0 = loadavg()[0];
  const date = new Date().toISOString();
  const results = [];
  for (const id of GEOMETRIES) {
    const geometry = getGeometry(id);
    // The published generator (the 30³ default is a narrower CPU recipe; RESULTS.md times §4.4 and §4.5).
    const config = publishedConv(geometry);
    if (!config) throw new Error(`${id}: no published conv recipe (ILD grids only)`);
    const layout = geometry.shape.join('x') === '30x30x30' ? 'ild-30' : 'ild-48';
    const model = await wganGpPlugin.create(config, geometry);
    const dir = path.join(OUT, `model-${id}`);
    await model.save(dir);
    await model.exportOnnx(dir);
    log(`${id}: ${layout} generator, model in ${dir}`);

    // The check: the same z, condition and energy through ONNX Runtime here and through the mirror.
    const rng = new Rng(7);
    const L = config.latentDim;
    const z = Float32Array.from({ length: CHECK_N * L }, () => 2 * rng.uniform() - 1);
    const energy = Float32Array.from({ length: CHECK_N }, (_, i) => 10_000 * (i + 1));
    const condition = energy.map((e) => e / 1000);
    const session = await createOrtSession(path.join(dir, 'onnx', 'generator.onnx'), { threads: THREADS });
    const showers = (await session.run({ z: { data: z, dims: [CHECK_N, L] }, condition: { data: condition, dims: [CHECK_N, 1] }, energy: { data: energy, dims: [CHECK_N, 1] } }))['showers'].data;
    await session.dispose();
    const checkFile = path.join(OUT, `check-${id}.safetensors`);
    await writeSafetensors(checkFile, {
      z: { dtype: 'F32', data: z, shape: [CHECK_N, L] }, energy: { dtype: 'F32', data: energy, shape: [CHECK_N, 1] }, showers: { dtype: 'F32', data: showers, shape: [CHECK_N, geometry.voxels] },
    });

    const entry = { geometry: id, layout, voxels: geometry.voxels, flops: generatorFlops(layout, L, config.conv.ngf), runtimes: {} };
    entry.runtimes.onnxruntime = await timeGenerate(model, 'onnx', BATCHES, timing);
    if (!flag('no-tfjs')) entry.runtimes[`tfjs ${backend.chosen}`] = await timeGenerate(model, 'tfjs', BATCHES.filter((b) => b < 10_000), timing);
    if (!flag('no-torch')) {
      const torch = runTorchMirror({ script: path.join(ROOT, 'tools', 'wgan-reference', 'generate_torch.py'), dir, checkFile, out: OUT, tag: id, threads: THREADS, seconds: SECONDS, batches: BATCHES });
      if (torch) {
        entry.torch = torch;
        entry.runtimes[`pytorch ${torch.version}`] = torch.rows;
        if (ROUNDS > 0 && BATCHES.some((b) => b < 10_000)) {
          const mirror = { script: path.join(ROOT, 'tools', 'wgan-reference', 'generate_torch.py'), dir, checkFile, out: OUT, tag: id, threads: THREADS, seconds: SECONDS };
          entry.interleaved = await interleavedRounds({ model, batches: BATCHES, rounds: ROUNDS, timing, mirror });
        }
      }
    }
    model.dispose();
    results.push(entry);
  }
  const command = `cd packages/wgan && npm run bench -- ${args.join(' ')}`.trim();
  const out = { results, load0, load1: loadavg()[0], peak: PEAK, date, command, backend: backend.chosen, seconds: SECONDS, threads: THREADS, batches: BATCHES, rounds: ROUNDS };
  await fs.writeFile(path.join(OUT, 'results.json'), JSON.stringify(out, null, 2));
  return out;
}

const { results, load0, load1, date, command, backend, seconds, threads, batches, rounds = 0 } = run;
const lines = speedTable(results.map((e) => ({ ...e, label: `${e.layout} (${e.geometry})` })), { threads, peakFlops: PEAK.flops });
const text = [
  '# WGAN generators: generation time per shower',
  '',
  `- Date: ${date}${RENDER_FROM ? ' (tables rendered again by `--render-from`)' : ''}`,
  `- Machine: ${PEAK.model}, ${PEAK.text}; 1-min load average ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end`,
  `- Command: \`${command}\` (${threads} threads for every runtime: ONNX Runtime intra-op, TF.js ${backend}, torch.set_num_threads)`,
  `- Protocol: \`generate\` of a batch of showers at 50 GeV (noise drawn, network run in calls of the model's default size — 4 showers on ONNX Runtime's CPU provider, 16 on TF.js and in the PyTorch mirror, whose 4 was slower — output copied to one array), one warm-up call, then calls for ${seconds} s; batch 10 000 is one call. core·ms = ms × ${threads} threads.`,
  ...results.map((e) => `- ${e.layout} (${e.geometry}, ${e.voxels} cells): ${(e.flops / 1e9).toFixed(2)} GFLOP/shower (2 × the products of every transposed convolution)${e.torch ? `; PyTorch mirror vs ONNX Runtime on ${CHECK_N} showers: max |Δ| ${e.torch.check.maxAbsDiff.toExponential(2)} (max |y| ${e.torch.check.maxAbs.toExponential(2)}); ${policyNote(e.torch, batches)}` : ''}`),
  '',
  ...lines,
  '',
  ...interleavedTable(results.map((e) => ({ label: `${e.layout} (${e.geometry})`, interleaved: e.interleaved })), { rounds, seconds }),
  `Peak = ${PEAK.text} = ${(PEAK.flops / 1e9).toFixed(0)} GFLOP/s. "PyTorch ÷ this" > 1 means faster than the PyTorch mirror.`,
  '',
];
console.log(text.join('\n'));
if (!flag('no-write')) await fs.writeFile(path.join(HERE, 'RESULTS.md'), text.join('\n'));
