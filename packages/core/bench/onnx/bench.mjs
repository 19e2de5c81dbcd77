#!/usr/bin/env node
/**
 * Benchmark: generation time per shower (field-reference.md §2.6: ms/shower at batch 1, 100,
 * 10 000, mean ± std of 10 timed runs) of
 *   - a CaloMan-like dense decoder, 35 + 6 → 512 → 512 → 512 → 368 (ReLU on hidden layers), and
 *   - a 30³ WGAN-like generator (field-reference.md §4.4: ConvT stems 1→128 and 100→128 k4 → 4³,
 *     concat 256 ch → ConvT k4 s2 p1 → 8³·128 → 16³·64 → 32³·32 → ConvT 32→1 k3 s1 p2 → 30³, ReLU),
 * on TF.js (best backend from selectTfBackend: native 'tensorflow' when built, else cpu),
 * onnxruntime-node (cpu EP; the generator both with plain ConvTranspose and with the sub-pixel
 * rewrite), and PyTorch (tools/onnx-reference/bench_torch.py, /usr/bin/python3, 2 threads), all in
 * the same run on the same random weights; PyTorch also checks ORT's outputs (max abs diff).
 * Achieved FLOP/s of the dense path is compared with the CPU's peak
 * (tools/bench-native/cpu-peak.mjs: cores × nominal GHz × fp32 FLOPs/cycle from the /proc/cpuinfo flags).
 *
 * Run on the built package:
 *   npx tsc -p packages/core/tsconfig.build.json
 *   node packages/core/bench/onnx/bench.mjs [--reps 10] [--threads 2] [--dense-batches 1,100,10000]
 *        [--conv-batches 1,10] [--conv-reps 10] [--skip-torch] [--skip-tf] [--out packages/core/bench/onnx/RESULTS.md]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuPeak } from '../../../../tools/bench-native/cpu-peak.mjs';
import { OnnxGraphBuilder, Rng, createOrtSession, selectTfBackend, tf, writeSafetensors } from '../../dist/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '../../../..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const flag = (name) => args.includes(`--${name}`);
const list = (s) => s.split(',').filter(Boolean).map(Number);
const REPS = Number(opt('reps', 10));
const THREADS = Number(opt('threads', availableParallelism()));
const DENSE_B = list(opt('dense-batches', '1,100,10000'));
const CONV_B = list(opt('conv-batches', '1,10'));
const CONV_REPS = Number(opt('conv-reps', REPS));
const OUT = opt('out', join(HERE, 'RESULTS.md'));
const log = (...a) => console.error(...a);

// ---------- machine ----------
function machine() {
  const p = cpuPeak();
  return { model: p.model, cores: p.cores, ghz: p.ghz, perCycle: p.perCycle, simd: p.units, peak: p.flops };
}

// ---------- weights ----------
const rng = new Rng(20240601);
const randn = (n, scale) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = rng.normal() * scale; return a; };
const DENSE = [41, 512, 512, 512, 368];
const dense = DENSE.slice(1).map((out, k) => ({ kernel: randn(DENSE[k] * out, Math.sqrt(2 / DENSE[k])), bias: randn(out, 0.01), shape: [DENSE[k], out] }));
const DENSE_FLOPS = DENSE.slice(1).reduce((s, out, k) => s + 2 * DENSE[k] * out, 0);
/** ConvT layers of the generator: [name, C_in, C_out, k, stride, pad]. */
const GEN = [['stem_e', 1, 128, 4, 1, 0], ['stem_z', 100, 128, 4, 1, 0], ['up0', 256, 128, 4, 2, 1], ['up1', 128, 64, 4, 2, 1], ['up2', 64, 32, 4, 2, 1], ['head', 32, 1, 3, 1, 2]];
const gen = Object.fromEntries(GEN.map(([name, cin, cout, k, s, p]) => {
  const fan = (cin * k ** 3) / s ** 3;
  return [name, { w: randn(cin * cout * k ** 3, Math.sqrt(2 / fan)), b: randn(cout, 0.01), shape: [cin, cout, k, k, k], s, p }];
}));
const GEN_FLOPS = 2 * (1 * 128 + 100 * 128) * 64 + [[256, 128, 4], [128, 64, 8], [64, 32, 16]].reduce((s, [ci, co, n]) => s + 2 * ci * co * 64 * n ** 3, 0) + 2 * 32 * 27 * 32 ** 3;

// ---------- ONNX graphs ----------
function denseOnnx() {
  const g = new OnnxGraphBuilder({ opset: 17 });
  let h = g.input('x', 'float32', [null, 41]);
  dense.forEach((l, k) => { h = g.dense(h, { data: l.kernel, shape: l.shape }, { data: l.bias, shape: [l.shape[1]] }, k < dense.length - 1 ? 'relu' : 'linear'); });
  g.output(h, 'y');
  return g.toBytes();
}
function genOnnx(subPixel) {
  const g = new OnnxGraphBuilder({ opset: 17 });
  const e = g.input('e', 'float32', [null, 1, 1, 1, 1]);
  const z = g.input('z', 'float32', [null, 100, 1, 1, 1]);
  const ct = (x, name) => {
    const L = gen[name];
    const W = { data: L.w, shape: L.shape };
    const B = { data: L.b, shape: [L.shape[1]] };
    return subPixel && L.s === 2
      ? g.convTranspose3dSubPixel(x, W, B, { stride: L.s, padding: L.p })
      : g.convTranspose(x, W, B, { strides: [L.s, L.s, L.s], pads: new Array(6).fill(L.p) });
  };
  let h = g.concat([g.relu(ct(e, 'stem_e')), g.relu(ct(z, 'stem_z'))], 1);
  for (const name of ['up0', 'up1', 'up2']) h = g.relu(ct(h, name));
  g.output(g.relu(ct(h, 'head')), 'y');
  return g.toBytes();
}

// ---------- TF.js networks ----------
function tfNets() {
  const dv = dense.map((l) => ({ k: tf.tensor2d(l.kernel, l.shape), b: tf.tensor1d(l.bias) }));
  // ONNX/PyTorch ConvT weight (in, out, k, k, k) → tf conv3dTranspose filter (k, k, k, out, in)
  const gv = Object.fromEntries(Object.entries(gen).map(([n, L]) => [n, { f: tf.tensor5d(L.w, L.shape).transpose([2, 3, 4, 1, 0]), b: tf.tensor1d(L.b) }]));
  const denseFn = (x) => tf.tidy(() => dv.reduce((h, l, k) => { const y = h.matMul(l.k).add(l.b); return k < dv.length - 1 ? y.relu() : y; }, x));
  const genFn = (e, z) => tf.tidy(() => {
    const n = e.shape[0];
    const stem = (x, L, co) => tf.conv3dTranspose(x, L.f, [n, 4, 4, 4, co], 1, 'valid').add(L.b).relu();
    let h = tf.concat([stem(e, gv.stem_e, 128), stem(z, gv.stem_z, 128)], 4);
    [['up0', 128, 8], ['up1', 64, 16], ['up2', 32, 32]].forEach(([name, co, side]) => { h = tf.conv3dTranspose(h, gv[name].f, [n, side, side, side, co], 2, 'same').add(gv[name].b).relu(); });
    const full = tf.conv3dTranspose(h, gv.head.f, [n, 34, 34, 34, 1], 1, 'valid');
    return full.slice([0, 2, 2, 2, 0], [n, 30, 30, 30, 1]).add(gv.head.b).relu(); // PyTorch p2 crops 2 per side
  });
  return { denseFn, genFn };
}

// ---------- timing ----------
async function timeit(fn, reps) {
  await fn();
  const t = [];
  for (let r = 0; r < reps; r++) { const t0 = process.hrtime.bigint(); await fn(); t.push(Number(process.hrtime.bigint() - t0) / 1e9); }
  return t;
}
const stats = (secs, batch) => {
  const ms = secs.map((s) => (1000 * s) / batch);
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  const sd = Math.sqrt(ms.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, ms.length - 1));
  return { mean, sd, n: ms.length };
};
const maxAbs = (a, b) => { let d = 0; for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i])); return d; };
const maxOf = (a) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

// ---------- main ----------
const m = machine();
const load0 = loadavg()[0];
log(`machine: ${m.model}, ${m.cores} cores @ ${m.ghz.toFixed(2)} GHz, ${m.simd}; load ${load0.toFixed(2)}`);
const rows = []; // {model, batch, runtime, mean, sd, n}
const notes = [];

const ortDense = await createOrtSession(denseOnnx(), { threads: THREADS, provider: 'cpu' });
const ortGen = { plain: await createOrtSession(genOnnx(false), { threads: THREADS, provider: 'cpu' }), subpixel: await createOrtSession(genOnnx(true), { threads: THREADS, provider: 'cpu' }) };

// check inputs and ORT outputs, shared with PyTorch and TF.js
const checkX = randn(4 * 41, 1);
const checkE = Float32Array.from({ length: 2 }, () => rng.uniform());
const checkZ = Float32Array.from({ length: 200 }, () => 2 * rng.uniform() - 1);
const ortDenseOut = (await ortDense.run({ x: { data: checkX, dims: [4, 41] } })).y.data;
const genFeeds = (e, z, n) => ({ e: { data: e, dims: [n, 1, 1, 1, 1] }, z: { data: z, dims: [n, 100, 1, 1, 1] } });
const ortGenOut = (await ortGen.plain.run(genFeeds(checkE, checkZ, 2))).y.data;
const ortGenSub = (await ortGen.subpixel.run(genFeeds(checkE, checkZ, 2))).y.data;
notes.push(`ORT sub-pixel vs plain ConvTranspose generator: max |Δ| = ${maxAbs(ortGenSub, ortGenOut).toExponential(2)} (max |y| = ${maxOf(ortGenOut).toExponential(2)})`);

for (const b of DENSE_B) {
  const x = randn(b * 41, 1);
  rows.push({ model: 'dense', batch: b, runtime: 'onnxruntime', ...stats(await timeit(() => ortDense.run({ x: { data: x, dims: [b, 41] } }), REPS), b) });
  log('ort dense', b, rows.at(-1).mean);
}
for (const b of CONV_B) {
  const e = Float32Array.from({ length: b }, () => rng.uniform());
  const z = Float32Array.from({ length: 100 * b }, () => 2 * rng.uniform() - 1);
  for (const v of ['subpixel', 'plain']) {
    rows.push({ model: 'wgan30', batch: b, runtime: `onnxruntime ${v === 'plain' ? 'ConvTranspose' : 'sub-pixel'}`, ...stats(await timeit(() => ortGen[v].run(genFeeds(e, z, b)), CONV_REPS), b) });
    log('ort gen', v, b, rows.at(-1).mean);
  }
}

if (!flag('skip-tf')) {
  const rep = await selectTfBackend({ requires: ['conv3d'] });
  const tfName = `tfjs ${rep.chosen}`;
  notes.push(`TF.js backend: ${rep.chosen} (tried: ${rep.tried.map((t) => `${t.name}: ${t.reason}`).join('; ') || 'first choice'})`);
  const { denseFn, genFn } = tfNets();
  const td = tf.tensor2d(checkX, [4, 41]);
  const tdo = denseFn(td);
  notes.push(`TF.js vs ORT dense: max |Δ| = ${maxAbs(tdo.dataSync(), ortDenseOut).toExponential(2)}`);
  tf.dispose([td, tdo]);
  const tg = genFn(tf.tensor5d(checkE, [2, 1, 1, 1, 1]), tf.tensor5d(checkZ, [2, 100, 1, 1, 1]).transpose([0, 2, 3, 4, 1]));
  notes.push(`TF.js vs ORT generator: max |Δ| = ${maxAbs(tg.dataSync(), ortGenOut).toExponential(2)}`);
  tg.dispose();
  for (const b of DENSE_B) {
    const x = tf.tensor2d(randn(b * 41, 1), [b, 41]);
    rows.push({ model: 'dense', batch: b, runtime: tfName, ...stats(await timeit(() => { const y = denseFn(x); y.dataSync(); y.dispose(); }, REPS), b) });
    log('tf dense', b, rows.at(-1).mean);
    x.dispose();
  }
  const tfConvB = rep.chosen === 'cpu' ? CONV_B.filter((b) => b <= 1) : CONV_B;
  if (tfConvB.length < CONV_B.length) notes.push('TF.js cpu backend: generator timed at batch 1 only (single-threaded JS kernels, minutes per batch beyond).');
  for (const b of tfConvB) {
    const e = tf.randomUniform([b, 1, 1, 1, 1]);
    const z = tf.randomUniform([b, 1, 1, 1, 100], -1, 1);
    rows.push({ model: 'wgan30', batch: b, runtime: tfName, ...stats(await timeit(() => { const y = genFn(e, z); y.dataSync(); y.dispose(); }, CONV_REPS), b) });
    log('tf gen', b, rows.at(-1).mean);
    tf.dispose([e, z]);
  }
}

let torchInfo;
if (!flag('skip-torch')) {
  const dir = mkdtempSync(join(tmpdir(), 'calozoo-onnx-bench-'));
  const file = join(dir, 'weights.safetensors');
  const T = (data, shape) => ({ dtype: 'F32', shape, data });
  const tensors = {};
  dense.forEach((l, k) => { tensors[`dense.${k}.kernel`] = T(l.kernel, l.shape); tensors[`dense.${k}.bias`] = T(l.bias, [l.shape[1]]); });
  for (const [n, L] of Object.entries(gen)) { tensors[`gen.${n}.weight`] = T(L.w, L.shape); tensors[`gen.${n}.bias`] = T(L.b, [L.shape[1]]); }
  Object.assign(tensors, {
    'check.dense.x': T(checkX, [4, 41]), 'check.dense.ort': T(Float32Array.from(ortDenseOut), [4, 368]),
    'check.gen.e': T(checkE, [2, 1, 1, 1, 1]), 'check.gen.z': T(checkZ, [2, 100, 1, 1, 1]), 'check.gen.ort': T(Float32Array.from(ortGenOut), [2, 1, 30, 30, 30]),
  });
  await writeSafetensors(file, tensors);
  if (opt('keep-weights')) copyFileSync(file, opt('keep-weights'));
  const py = spawnSync('/usr/bin/python3', [join(ROOT, 'tools/onnx-reference/bench_torch.py'), '--weights', file, '--threads', String(THREADS), '--reps', String(REPS),
    '--conv-reps', String(CONV_REPS), '--dense-batches', DENSE_B.join(','), '--conv-batches', CONV_B.join(',')], { encoding: 'utf8', maxBuffer: 1 << 26 });
  rmSync(dir, { recursive: true, force: true });
  if (py.status !== 0) throw new Error(`bench_torch.py failed: ${py.stderr}`);
  torchInfo = JSON.parse(py.stdout.trim().split('\n').at(-1));
  for (const t of torchInfo.timings) rows.push({ model: t.model, batch: t.batch, runtime: 'pytorch', ...stats(t.seconds, t.batch) });
  const c = torchInfo.checks;
  notes.push(`PyTorch ${torchInfo.torch} vs ORT: dense max |Δ| = ${c.dense_max_abs_diff_vs_ort.toExponential(2)} (max |y| ${c.dense_max_abs_ref.toExponential(2)}), generator max |Δ| = ${c.gen_max_abs_diff_vs_ort.toExponential(2)} (max |y| ${c.gen_max_abs_ref.toExponential(2)})`);
}
await ortDense.dispose(); await ortGen.plain.dispose(); await ortGen.subpixel.dispose();

// ---------- report ----------
const torchMs = (model, batch) => rows.find((r) => r.model === model && r.batch === batch && r.runtime === 'pytorch')?.mean;
const fmt = (x) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toPrecision(3));
const lines = [];
lines.push('# ONNX Runtime vs TF.js vs PyTorch: generation time per shower', '');
lines.push(`- Date: ${new Date().toISOString()}`);
lines.push(`- Machine: ${m.model}, ${m.cores} cores @ ${m.ghz.toFixed(2)} GHz, ${m.simd}; 1-min load average at start ${load0.toFixed(2)}, at end ${loadavg()[0].toFixed(2)} (shared machine: other jobs ran alongside)`);
lines.push(`- Command: \`node packages/core/bench/onnx/bench.mjs ${args.join(' ')}\`` + ` (onnxruntime-node cpu EP, ${THREADS} intra-op threads; PyTorch torch.set_num_threads(${THREADS}))`);
lines.push(`- Protocol (field-reference.md §2.6): ms per shower = run time / batch, mean ± std over ${REPS} timed runs (generator: ${CONV_REPS}) after one warm-up; includes copying outputs to a typed array.`);
lines.push(`- Dense decoder 41 → 512 → 512 → 512 → 368 (ReLU): ${(DENSE_FLOPS / 1e6).toFixed(3)} MFLOP/shower; WGAN 30³ generator: ${(GEN_FLOPS / 1e9).toFixed(2)} GFLOP/shower (dense-equivalent MACs × 2).`, '');
lines.push('| network | batch | runtime | ms/shower (mean ± std) | ÷ PyTorch | GFLOP/s | % of peak |', '|---|---|---|---|---|---|---|');
for (const r of rows.sort((a, b) => (a.model === b.model ? a.batch - b.batch || a.runtime.localeCompare(b.runtime) : a.model.localeCompare(b.model)))) {
  const pt = torchMs(r.model, r.batch);
  const flops = (r.model === 'dense' ? DENSE_FLOPS : GEN_FLOPS) / (r.mean / 1000);
  lines.push(`| ${r.model === 'dense' ? 'dense decoder' : 'WGAN 30³ generator'} | ${r.batch} | ${r.runtime} | ${fmt(r.mean)} ± ${fmt(r.sd)} | ${pt ? (r.mean / pt).toFixed(2) : '–'} | ${(flops / 1e9).toFixed(1)} | ${((100 * flops) / m.peak).toFixed(1)} % |`);
}
lines.push('', `Peak = ${m.cores} cores × ${m.ghz.toFixed(2)} GHz × ${m.perCycle} fp32 FLOP/cycle/core (${m.simd}, from /proc/cpuinfo: tools/bench-native/cpu-peak.mjs) = ${(m.peak / 1e9).toFixed(0)} GFLOP/s. ÷ PyTorch < 1 means faster than PyTorch.`, '');
lines.push('Checks made in the same run:', '', ...notes.map((n) => `- ${n}`), '');
writeFileSync(OUT, lines.join('\n'));
log(lines.join('\n'));
