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
 *
 * The headline columns (ONNX Runtime, PyTorch, their ratio) come from a last, interleaved phase:
 * `--rounds` rounds (default 3), each timing ONNX Runtime's `generate` and the PyTorch mirror's
 * (kept running as a timing server, one per OMP_WAIT_POLICY) back to back at every batch size, so
 * that a shared machine's drifting speed hits both alike; the table gives medians over rounds and
 * the median of the per-round ratios.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import { createInterface } from 'node:readline';
import { cpus, loadavg, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPeak } from '../../../tools/bench-native/cpu-peak.mjs';
import { median } from '../../../tools/bench-native/generate-bench.mjs';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, createOrtSession, getGeometry, selectTfBackend } from '@calozoo/core';
import { DS1_ENERGIES_MEV, calomanPlugin, defaultConfigFor } from '../dist/index.js';
import { buildCaloManGraphs } from '../dist/onnx.js';

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
const withTorch = !args.includes('--no-torch');
const threads = Number(opt('--threads', 2));
const writeDocs = !args.includes('--no-write');
const rounds = Number(opt('--rounds', 3));
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const PEAK = cpuPeak();
const PEAK_FLOPS = PEAK.flops;
const BATCHES = [1, 100, 10_000];
const CHECK_N = 64;

const mean = (a) => a.reduce((s, x) => s + x, 0) / a.length;
const std = (a) => {
  const m = mean(a);
  return Math.sqrt(a.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, a.length - 1));
};

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

/** FLOPs per shower of a graph's MatMul/Gemm nodes with a constant [K, N] right operand (2·K·N each; elementwise ops not counted). */
function matmulFlops(builder) {
  const m = builder.toModelObject();
  const dims = new Map(m.graph.initializer.map((t) => [t.name, t.dims]));
  let flops = 0;
  for (const n of m.graph.node) {
    if (n.op_type !== 'MatMul' && n.op_type !== 'Gemm') continue;
    const d = dims.get(n.input[1]);
    if (d && d.length === 2) flops += 2 * d[0] * d[1];
  }
  return flops;
}

/** ONNX Runtime: the full generate (runtime 'onnx') and each graph alone, at each batch size. */
async function timeOnnx(model, batches, minSeconds) {
  const rows = [];
  const L = model.slices.length;
  const D = model.config.latentDim;
  const graphs = buildCaloManGraphs(model);
  const epl = await createOrtSession(graphs.layerEnergies.toBytes(), { threads: 1 }); // as calomanSessions
  const gen = await createOrtSession(graphs.generator.toBytes(), { threads });
  for (const n of batches) {
    const energy = energies(n, n);
    let seed = 1;
    const full = await repeat(() => model.generate({ energy }, { seed: seed++, batchSize: n, runtime: 'onnx', threads }), minSeconds);
    const rng = new Rng(5);
    const c = rng.fillNormal(new Float32Array(n));
    const en = rng.fillNormal(new Float32Array(n * L));
    const y = rng.fillNormal(new Float32Array(n * (1 + L)));
    const z = rng.fillNormal(new Float32Array(n * D));
    const le = Float32Array.from({ length: n * L }, () => 1000 * rng.uniform());
    const eplT = await repeat(() => epl.run({ noise: { data: en, dims: [n, L] }, context: { data: c, dims: [n, 1] } }), minSeconds);
    const V = model.geometry.voxels;
    const genFeeds = { condition: { data: y, dims: [n, 1 + L] }, noise: { data: z, dims: [n, D] }, layerEnergies: { data: le, dims: [n, L] } };
    if (gen.inputNames.includes('voxelNoise')) genFeeds.voxelNoise = { data: rng.fillNormal(new Float32Array(n * V)), dims: [n, V] };
    if (gen.inputNames.includes('hitNoise')) genFeeds.hitNoise = { data: rng.fillUniform(new Float32Array(n * V)), dims: [n, V] };
    const genT = await repeat(() => gen.run(genFeeds), minSeconds);
    const stat = (t) => ({ meanMs: mean(t) / n, stdMs: std(t) / n, reps: t.length });
    const row = { batch: n, generate: stat(full), eplGraph: stat(eplT), generatorGraph: stat(genT) };
    const f = (s) => `${s.meanMs.toPrecision(3)} ± ${s.stdMs.toPrecision(2)}`;
    console.log(`  batch ${n}: generate ${f(row.generate)} ms/shower (${(1000 / row.generate.meanMs).toFixed(0)} showers/s); EPL graph ${f(row.eplGraph)}, generator graph ${f(row.generatorGraph)}`);
    rows.push(row);
  }
  await Promise.all([epl.dispose(), gen.dispose()]);
  return { rows, flops: { layerEnergies: matmulFlops(graphs.layerEnergies), generator: matmulFlops(graphs.generator) } };
}

/** Replaces the text between `<!-- name -->` and `<!-- /name -->` in `file`. */
async function writeSection(file, name, text) {
  const s = await fs.readFile(file, 'utf8');
  const a = s.indexOf(`<!-- ${name} -->`);
  const b = s.indexOf(`<!-- /${name} -->`);
  if (a < 0 || b < a) {
    console.log(`(${file} has no <!-- ${name} --> section; not written)`);
    return;
  }
  await fs.writeFile(file, `${s.slice(0, a + name.length + 9)}\n${text}\n${s.slice(b)}`);
}

/** Times the full generate and the three networks at each batch size. */
async function timeModel(model, batches, minSeconds) {
  const rows = [];
  const L = model.slices.length;
  const D = model.config.latentDim;
  for (const n of batches) {
    const energy = energies(n, n);
    let seed = 1;
    const gen = await repeat(() => model.generate({ energy }, { seed: seed++, batchSize: n, runtime: 'tfjs' }), minSeconds);
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
const started = new Date().toISOString();
console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${started}, load ${load0.map((x) => x.toFixed(2)).join(' ')}`);
const report = { date: started, cpu: cpus()[0]?.model, node: process.version, seconds, threads, backends: {} };

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
console.log(`onnxruntime, ${threads} threads:`);
const onnx = await timeOnnx(model, BATCHES, seconds);
report.onnx = onnx;
console.log(`tfjs ${device.chosen}:`);
report.backends.tensorflow = await timeModel(model, BATCHES, seconds);
model.dispose();

if (withWasm) {
  const w = await selectTfBackend({ backend: 'wasm' });
  console.log(`backend ${w.chosen} (${w.threads} threads)`);
  const wm = await calomanPlugin.load(modelArg ?? modelDir);
  report.backends.wasm = await timeModel(wm, [1, 100], Math.min(seconds, 2));
  wm.dispose();
}

if (withTorch) {
  // libgomp's default OMP_WAIT_POLICY spins at barriers, which on a shared machine can slow
  // PyTorch's 2-thread runs many times over; PASSIVE sleeps. Both run; the faster is kept per batch.
  const script = path.join(ROOT, 'tools', 'caloman-reference', 'generate_torch.py');
  const runs = {};
  for (const [tag, env] of [['default', {}], ['PASSIVE', { OMP_WAIT_POLICY: 'PASSIVE' }]]) {
    const torchJson = path.join(outDir, `results-torch-${tag}.json`);
    console.log(`PyTorch mirror (${threads} threads, OMP_WAIT_POLICY ${tag}): ${script}`);
    const r = spawnSync('/usr/bin/python3', [script, report.model.dir, '--check', path.join(outDir, 'check'), '--threads', String(threads), '--seconds', String(seconds), '--json', torchJson], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
    if (r.status === 0 && existsSync(torchJson)) runs[tag] = JSON.parse(await fs.readFile(torchJson, 'utf8'));
  }
  if (runs.default || runs.PASSIVE) {
    const base = runs.PASSIVE ?? runs.default;
    report.torch = { ...base, runs, rows: base.rows.map((row) => {
      const other = (runs.default ?? base).rows.find((x) => x.batch === row.batch);
      const best = other && other.generate.meanMs < row.generate.meanMs ? { ...other, ompWaitPolicy: 'default' } : { ...row, ompWaitPolicy: runs.PASSIVE ? 'PASSIVE' : 'default' };
      return best;
    }) };
  } else console.log('PyTorch mirror failed or is not installed (apt-get install python3-torch libopenblas0-pthread); no ratio column');
}
/** A PyTorch mirror kept running as a timing server (generate_torch.py --serve). */
async function torchServer(env) {
  const script = path.join(ROOT, 'tools', 'caloman-reference', 'generate_torch.py');
  const proc = spawn('/usr/bin/python3', [script, report.model.dir, '--check', path.join(outDir, 'check'), '--threads', String(threads), '--serve'], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    for (;;) {
      const { value, done } = await lines.next();
      if (done) throw new Error('the PyTorch timing server exited');
      if (value.startsWith('{')) return JSON.parse(value);
    }
  };
  await next(); // {"ready": true}
  return {
    async time(batch, secs) {
      proc.stdin.write(JSON.stringify({ batch, seconds: secs }) + '\n');
      return (await next()).generate.meanMs;
    },
    close: () => proc.stdin.end(),
  };
}


/** ONNX Runtime and PyTorch generate, alternated in rounds (see the header). */
async function interleaved(dir) {
  const policies = [['default', {}], ['PASSIVE', { OMP_WAIT_POLICY: 'PASSIVE' }]];
  const servers = [];
  for (const [tag, env] of policies) servers.push([tag, await torchServer(env)]);
  const m = await calomanPlugin.load(dir);
  const rows = BATCHES.map((batch) => ({ batch, onnx: [], torch: [], policy: [], ratio: [] }));
  for (let r = 0; r < rounds; r++) {
    for (const row of rows) {
      const energy = energies(row.batch, row.batch + r);
      let seed = 1;
      const timeOrt = async () => mean(await repeat(() => m.generate({ energy }, { seed: seed++, batchSize: row.batch, runtime: 'onnx', threads }), seconds)) / row.batch;
      const timeTorch = async () => {
        const t = [];
        for (const [tag, srv] of servers) t.push([tag, await srv.time(row.batch, seconds)]);
        return t.reduce((a, b) => (b[1] < a[1] ? b : a));
      };
      // Alternate which runtime goes first, so that neither always follows the other's warm caches.
      let ort;
      let best;
      if (r % 2 === 0) {
        ort = await timeOrt();
        best = await timeTorch();
      } else {
        best = await timeTorch();
        ort = await timeOrt();
      }
      row.onnx.push(ort);
      row.torch.push(best[1]);
      row.policy.push(best[0]);
      row.ratio.push(best[1] / ort);
      console.log(`  round ${r + 1}, batch ${row.batch}: ONNX Runtime ${ort.toPrecision(3)} ms/shower, PyTorch ${best[1].toPrecision(3)} (${best[0]}), ratio ${(best[1] / ort).toFixed(2)}`);
    }
  }
  m.dispose();
  for (const [, srv] of servers) srv.close();
  return rows.map((row) => ({ ...row, onnxMedianMs: median(row.onnx), torchMedianMs: median(row.torch), ratioMedian: median(row.ratio), ratioMin: Math.min(...row.ratio), ratioMax: Math.max(...row.ratio) }));
}

if (withTorch && report.torch && rounds > 0) {
  console.log(`interleaved ONNX Runtime / PyTorch rounds (${rounds} × ${seconds} s per runtime and batch):`);
  report.interleaved = await interleaved(modelArg ?? modelDir);
}
report.loadavg = { start: load0, end: loadavg() };
await fs.writeFile(jsonOut, JSON.stringify(report, null, 1));

// The table: ms/shower per runtime, ONNX Runtime's speed-up over PyTorch, achieved FLOP/s.
const flopsPerShower = onnx.flops.layerEnergies + onnx.flops.generator;
const fmt = (s) => (s ? `${s.meanMs.toPrecision(3)} ± ${s.stdMs.toPrecision(2)}` : '–');
const lines = [
  `Measured ${started.slice(0, 16).replace('T', ' ')} UTC by \`cd packages/caloman && npm run bench\` (${modelArg ? `model ${path.relative(ROOT, path.resolve(modelArg))}` : 'untrained default DS1-photon config'}; ` +
    `${cpus()[0]?.model ?? 'CPU'} × ${cpus().length}, load average ${load0[0].toFixed(2)} → ${report.loadavg.end[0].toFixed(2)}; ONNX Runtime and PyTorch ${threads} threads, PyTorch run with libgomp's default and with PASSIVE OMP_WAIT_POLICY, the faster kept per round; TF.js native default threads). ` +
    (report.interleaved
      ? `ONNX Runtime, PyTorch and the ratio: ${rounds} interleaved rounds of ${seconds} s per runtime and batch, median over rounds (ratio: median of the per-round ratios, range in brackets); TF.js from a separate pass.`
      : 'One pass per runtime (no interleaved rounds).'),
  '',
  '| batch | ONNX Runtime ms/shower | showers/s | TF.js native | PyTorch 1.13 | PyTorch ÷ ONNX Runtime | achieved GFLOP/s of the two graphs (% of peak) | published CaloMan CPU |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|',
];
for (const row of onnx.rows) {
  const tfRow = report.backends.tensorflow.find((r) => r.batch === row.batch);
  const tRow = report.torch?.rows?.find((r) => r.batch === row.batch);
  const iRow = report.interleaved?.find((r) => r.batch === row.batch);
  const ortCell = iRow ? iRow.onnxMedianMs.toPrecision(3) : fmt(row.generate);
  const ortMs = iRow ? iRow.onnxMedianMs : row.generate.meanMs;
  const torchCell = iRow ? iRow.torchMedianMs.toPrecision(3) : fmt(tRow?.generate);
  const ratio = iRow ? `${iRow.ratioMedian.toFixed(2)}× [${iRow.ratioMin.toFixed(2)}–${iRow.ratioMax.toFixed(2)}]` : tRow ? (tRow.generate.meanMs / row.generate.meanMs).toFixed(2) + '×' : '–';
  const gflops = (flopsPerShower / (row.eplGraph.meanMs + row.generatorGraph.meanMs) / 1e6);
  const published = row.batch === 1 ? '186' : row.batch === 10000 ? '1.46' : '–';
  lines.push(`| ${row.batch} | **${ortCell}** | ${(1000 / ortMs).toFixed(0)} | ${fmt(tfRow?.generate)} | ${torchCell} | **${ratio}** | ${gflops.toFixed(1)} (${((100 * gflops * 1e9) / PEAK_FLOPS).toFixed(0)} %) | ${published} |`);
}
lines.push(
  '',
  `FLOP/s: ${(flopsPerShower / 1e6).toFixed(2)} MFLOP per shower, counted as 2·K·N for every MatMul/Gemm with a K×N weight in the two graphs (spline and other elementwise ops not counted, so this under-counts), divided by the time of the two graphs alone (separate pass); ` +
    `peak ${(PEAK_FLOPS / 1e9).toFixed(0)} GFLOP/s = ${PEAK.text}. Published CaloMan: CaloChallenge DS1-photon CPU times (field-reference.md; their hardware is not known).`,
);
const table = lines.join('\n');
console.log('\n' + table);
if (writeDocs) {
  await writeSection(path.join(ROOT, 'BENCHMARKS.md'), 'bench:caloman-generation', table);
  await writeSection(path.join(ROOT, 'packages', 'caloman', 'bench', 'RESULTS.md'), 'bench:caloman-generation', table);
}
console.log(`load average at end ${report.loadavg.end.map((x) => x.toFixed(2)).join(' ')}; results in ${jsonOut}`);
