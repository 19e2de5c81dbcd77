#!/usr/bin/env node
/**
 * CaloMan training throughput: one optimisation step (forward, backward, global-norm clip, Adam)
 * of each of CaloMan's three networks with the default dataset-1-photon config
 * (`defaultConfigFor(getGeometry('calochallenge-1-photons'))`, its batch sizes and clip norm),
 * on the TensorFlow.js backends `tensorflow` (native), `wasm` and `cpu`, next to the PyTorch
 * mirror tools/caloman-reference/train_torch.py (same layer sizes, flow layer configs and loss),
 * each measurement in its own process, in one run:
 *
 *   node packages/caloman/bench/train.bench.mjs [--quick] [--no-torch] [--no-write] [--nets vae,latent,epl]
 *
 * Native TensorFlow runs twice: with its default intra-op threads (one per core) and with one
 * (`selectTfBackend({ threads: 1 })`), which is faster for the small flows on 2 cores.
 *
 * Steps as in the trainer (src/trainer.ts + src/fit.ts): `tf.variableGrads` of the batch loss
 * (VAE: negative ELBO with fresh ε ~ N(0, 1) per step; flows: −mean log p(x | context)), then
 * core's Adam (fused ResourceApplyAdam on native TensorFlow) with `gradClipNorm`, the batch built from Float32Arrays each step. Inputs are
 * random (speed does not depend on the values). Bundles the TypeScript sources with esbuild, so
 * no build is needed; the `tensorflow` column needs `npm run setup:native`.
 * Prints a markdown table and writes packages/caloman/bench/TRAINING.md (unless --no-write).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runChild as runChildIn, timeSteps } from '../../../tools/bench-native/child.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..', '..');
const BUNDLE = join(ROOT, 'tools', '.native', 'bench', 'caloman-train.mjs');
const TORCH = join(ROOT, 'tools', 'caloman-reference', 'train_torch.py');
const GEOMETRY = 'calochallenge-1-photons';

/** Bundles the caloman, flows and core sources (npm dependencies left external) for plain node. */
async function bundle() {
  const { build } = await import('esbuild');
  mkdirSync(dirname(BUNDLE), { recursive: true });
  const external = { name: 'npm-external', setup(b) { b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@calozoo/') ? undefined : { path: a.path, external: true })); } };
  await build({
    stdin: {
      contents: [
        "export { ConditionalVae } from './src/vae.ts';",
        "export { defaultConfigFor } from './src/configs.ts';",
        "export { flowConfigFor } from './src/flow-net.ts';",
        "export { Flow } from '@calozoo/flows';",
        "export { Adam, Rng, getGeometry, layerSlices, selectTfBackend, tf } from '@calozoo/core';",
      ].join('\n'),
      resolveDir: join(ROOT, 'packages', 'caloman'),
      loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'esm', outfile: BUNDLE, logLevel: 'error',
    conditions: ['@calozoo/source'], plugins: [external],
  });
}

/** The three training problems of the default config: sizes, batch, learning rate, clip. */
function problems(m) {
  const cfg = m.defaultConfigFor(m.getGeometry(GEOMETRY));
  const geometry = m.getGeometry(GEOMETRY);
  const L = m.layerSlices(geometry).length;
  return {
    cfg, L, V: geometry.voxels,
    vae: { batch: cfg.vae.training.batchSize, lr: cfg.vae.training.learningRate, clip: cfg.vae.training.gradClipNorm },
    latent: { batch: cfg.latentFlow.training.batchSize, lr: cfg.latentFlow.training.learningRate, clip: cfg.latentFlow.training.gradClipNorm, dim: cfg.latentDim, context: 1 + L, flow: cfg.latentFlow.flow },
    epl: { batch: cfg.epl.training.batchSize, lr: cfg.epl.training.learningRate, clip: cfg.epl.training.gradClipNorm, dim: L, context: 1, flow: cfg.epl.flow },
  };
}

/** Uniform [lo, hi) Float32Array from a seeded Rng. */
const uniform = (m, n, seed, lo = 0, hi = 1) => {
  const rng = new m.Rng(seed, 3);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
};

/** Builds one network's training step: { params, batch, step() → loss }. */
function makeStep(m, net) {
  const { tf } = m;
  const p = problems(m);
  if (net === 'vae') {
    const { batch, lr, clip } = p.vae;
    const D = p.cfg.latentDim;
    const vae = new m.ConditionalVae({ voxels: p.V, conditionDim: 1 + p.L, latentDim: D, hidden: p.cfg.vae.hidden, likelihood: p.cfg.vae.likelihood }, new m.Rng(1, 2));
    const vars = vae.params.named();
    const adam = new m.Adam(vars, { clipNorm: clip });
    const x = uniform(m, batch * p.V, 4), y = uniform(m, batch * (1 + p.L), 5, -1, 1);
    const rng = new m.Rng(6, 1);
    const step = () => {
      const eps = rng.fillNormal(new Float32Array(batch * D));
      return adam.minimize(() => vae.loss(tf.tensor2d(x, [batch, p.V]), tf.tensor2d(y, [batch, 1 + p.L]), tf.tensor2d(eps, [batch, D]), p.cfg.vae.beta).loss, lr);
    };
    return { params: Object.values(vars).reduce((a, v) => a + v.size, 0), batch, step };
  }
  const q = p[net];
  const config = m.flowConfigFor(q.dim, q.context, q.flow, net === 'epl' ? 2 : 4);
  const flow = new m.Flow(config);
  const vars = Object.fromEntries(Object.entries(flow.variables()).filter(([, v]) => v.trainable));
  const adam = new m.Adam(vars, { clipNorm: q.clip });
  const x = uniform(m, q.batch * q.dim, 7, -2, 2), c = uniform(m, q.batch * q.context, 8, -1, 1);
  const step = () => adam.minimize(() => tf.neg(tf.mean(flow.logProb(tf.tensor2d(x, [q.batch, q.dim]), tf.tensor2d(c, [q.batch, q.context])))), q.lr);
  return { params: Object.values(vars).reduce((a, v) => a + v.size, 0), batch: q.batch, step, config };
}

/** Child-process body: times one network on one backend; prints a JSON line. */
async function worker(backend, net, warmup, steps) {
  const m = await import(pathToFileURL(BUNDLE).href);
  // 'tensorflow-1t': native TensorFlow with one intra-op thread (selectTfBackend's `threads`).
  const report = await m.selectTfBackend(backend === 'tensorflow-1t' ? { backend: 'tensorflow', threads: 1 } : { backend });
  const s = makeStep(m, net);
  const t = timeSteps(() => s.step(), s.batch, warmup, steps);
  console.log(JSON.stringify({ backend, net, batch: s.batch, params: s.params, threads: report.threads, versions: report.versions, ...t }));
}

/** Writes the PyTorch mirror's inputs: sizes, batch sizes and the exact flow layer configs. */
async function torchSpec(file) {
  const m = await import(pathToFileURL(BUNDLE).href);
  const p = problems(m);
  const spec = {
    voxels: p.V, layers: p.L, latentDim: p.cfg.latentDim, hidden: p.cfg.vae.hidden, beta: p.cfg.vae.beta, likelihood: p.cfg.vae.likelihood ?? 'shared', vae: p.vae,
    latent: { ...p.latent, config: m.flowConfigFor(p.latent.dim, p.latent.context, p.latent.flow, 4) },
    epl: { ...p.epl, config: m.flowConfigFor(p.epl.dim, p.epl.context, p.epl.flow, 2) },
  };
  writeFileSync(file, JSON.stringify(spec));
  console.log(JSON.stringify({ spec: file }));
}

const runChild = (cmd, args, label, extraEnv) => runChildIn(ROOT, cmd, args, label, extraEnv);

const sps = (r) => (r ? (r.samples_per_s >= 100 ? r.samples_per_s.toFixed(0) : r.samples_per_s.toPrecision(3)) : '–');
const cell = (r) => (r ? `${sps(r)} (${r.seconds_per_step.toPrecision(3)} s/step, ${r.steps} steps${r.omp ? `; ${r.omp}${r.others ? `; others: ${r.others}` : ''}` : ''})` : '–');
const ratio = (a, b) => (a && b ? `${(a.samples_per_s / b.samples_per_s).toFixed(2)}×` : '–');
const cpuCell = (r) => (r?.cpu_ms_per_sample ? r.cpu_ms_per_sample.toPrecision(3) : '–');
const cpuRatio = (a, b) => (a?.cpu_ms_per_sample && b?.cpu_ms_per_sample ? `${(b.cpu_ms_per_sample / a.cpu_ms_per_sample).toFixed(2)}×` : '–');

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--worker') return worker(args[1], args[2], Number(args[3]), Number(args[4]));
  if (args[0] === '--spec') return torchSpec(args[1]);
  if (args[0] === '--bundle') return bundle();
  const quick = args.includes('--quick');
  const netsArg = args.includes('--nets') ? args[args.indexOf('--nets') + 1] : 'vae,latent,epl';
  const nets = netsArg.split(',');
  const loadStart = loadavg()[0];
  await bundle();
  const self = fileURLToPath(import.meta.url);
  // [warm-up, timed] steps per backend: the pure-JS backends are 10–100× slower.
  // Native and PyTorch back to back for each network, so that the ratio sees the same load.
  const plan = { tensorflow: [2, quick ? 5 : 20], 'tensorflow-1t': [2, quick ? 5 : 20], wasm: [1, quick ? 1 : 2], cpu: [1, 1] };
  const results = {};
  const torch = { torch: undefined };
  const withTorch = !args.includes('--no-torch');
  const specFile = join(dirname(BUNDLE), 'caloman-train-spec.json');
  if (withTorch) runChild(process.execPath, [self, '--spec', specFile], 'spec');
  for (const net of nets) {
    for (const [backend, [warmup, steps]] of Object.entries(plan)) {
      results[`${backend}/${net}`] = runChild(process.execPath, [self, '--worker', backend, net, String(warmup), String(steps)], `tfjs ${backend} ${net}`);
      if (backend === 'tensorflow-1t' && withTorch) {
        // libgomp's default OMP_WAIT_POLICY spins at barriers, which on a shared machine slows
        // PyTorch's 2-thread steps up to 30×; PASSIVE sleeps. PyTorch also runs on one thread (as
        // native TensorFlow does): the fastest of the three settings is the peer, the others are
        // shown in the cell.
        const torchRun = (env, threads, tag) => {
          const r = runChild('/usr/bin/python3', [TORCH, specFile, '--threads', String(threads), '--nets', net, '--steps', quick ? '5' : '20'], `PyTorch ${net} (${tag})`, env);
          torch.torch ??= r?.torch;
          return r?.[net] && { ...r[net], omp: tag };
        };
        const runs = [
          torchRun({}, 2, '2 threads, OMP wait default'),
          torchRun({ OMP_WAIT_POLICY: 'PASSIVE' }, 2, '2 threads, OMP wait passive'),
          torchRun({ OMP_WAIT_POLICY: 'PASSIVE' }, 1, '1 thread'),
        ].filter(Boolean);
        const best = runs.reduce((a, b) => (!a || b.samples_per_s > a.samples_per_s ? b : a), undefined);
        torch[net] = best && { ...best, others: runs.filter((r) => r !== best).map((r) => `${r.omp} ${sps(r)}`).join(', ') };
      }
    }
  }
  const label = {
    vae: (r) => `conditional VAE 368+6 → 512³ → 2·24 / 24+6 → 512³ → 2·368 (per-voxel μ, log σ; ${r ? (r.params / 1e6).toFixed(2) : '?'}M params), batch ${r?.batch ?? '?'}`,
    latent: (r) => `latent flow: 24-dim RQS, 4 couplings × 3×128 residual, context 6 (${r ? (r.params / 1e3).toFixed(0) : '?'}k params), batch ${r?.batch ?? '?'}`,
    epl: (r) => `EPL flow: 5-dim RQS, 4 couplings × 3×64 residual, context 1 (${r ? (r.params / 1e3).toFixed(0) : '?'}k params), batch ${r?.batch ?? '?'}`,
  };
  const any = (net) => results[`tensorflow/${net}`] ?? results[`cpu/${net}`] ?? results[`wasm/${net}`];
  const table = [
    `| CaloMan training step (samples/s) | tfjs tensorflow (native, ${any(nets[0])?.threads ?? '?'} intra-op threads) | native, 1 intra-op thread | tfjs wasm | tfjs cpu | PyTorch (fastest of 2 threads / 1 thread) | native ÷ PyTorch | native 1 thread ÷ PyTorch |`,
    '|---|---|---|---|---|---|---|---|',
    ...nets.map((net) => `| ${label[net](any(net))} | ${cell(results[`tensorflow/${net}`])} | ${cell(results[`tensorflow-1t/${net}`])} | ${cell(results[`wasm/${net}`])} | ${cell(results[`cpu/${net}`])} | ${cell(torch?.[net])} | **${ratio(results[`tensorflow/${net}`], torch?.[net])}** | **${ratio(results[`tensorflow-1t/${net}`], torch?.[net])}** |`),
  ].join('\n');
  // The plugin as a whole: one epoch of each phase on 50 000 showers (the issue's training set),
  // from the per-network throughputs above (seconds = 50 000 / samples/s, summed over the networks).
  const epochSeconds = (key) => (nets.every((net) => key(net)?.samples_per_s) ? nets.reduce((t, net) => t + 50_000 / key(net).samples_per_s, 0) : undefined);
  const ep = {
    native: epochSeconds((net) => results[`tensorflow/${net}`]),
    native1: epochSeconds((net) => results[`tensorflow-1t/${net}`]),
    torch: epochSeconds((net) => torch?.[net]),
  };
  const fmtS = (x) => (x === undefined ? '–' : `${x.toFixed(1)} s`);
  const epochRatio = (a, b) => (a && b ? `${(b / a).toFixed(2)}×` : '–');
  const pluginLine = nets.length === 3
    ? `\nCaloMan as a whole — one epoch of each phase (${nets.join(', ')}) on 50 000 showers, from the rates above: native ${fmtS(ep.native)}, native 1 thread ${fmtS(ep.native1)}, PyTorch ${fmtS(ep.torch)}; PyTorch ÷ native **${epochRatio(ep.native, ep.torch)}**, PyTorch ÷ native 1 thread **${epochRatio(ep.native1, ep.torch)}**.`
    : '';
  const cpuTable = [
    '| CPU time per training sample (core·ms, lower is better) | native | native, 1 thread | wasm | cpu | PyTorch | PyTorch ÷ native | PyTorch ÷ native 1 thread |',
    '|---|---|---|---|---|---|---|---|',
    ...nets.map((net) => `| ${net} | ${cpuCell(results[`tensorflow/${net}`])} | ${cpuCell(results[`tensorflow-1t/${net}`])} | ${cpuCell(results[`wasm/${net}`])} | ${cpuCell(results[`cpu/${net}`])} | ${cpuCell(torch?.[net])} | ${cpuRatio(results[`tensorflow/${net}`], torch?.[net])} | ${cpuRatio(results[`tensorflow-1t/${net}`], torch?.[net])} |`),
  ].join('\n');
  const paramCheck = nets.map((net) => `${net} ${any(net)?.params ?? '?'} / ${torch?.[net]?.params ?? '?'}`).join(', ');
  console.log(`${table}\n${pluginLine}\n\n${cpuTable}\n\nparameters tfjs / PyTorch: ${paramCheck}`);
  if (args.includes('--no-write')) return;
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
  const model = lscpu.match(/Model name:\s*(.+)/)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const v = any(nets[0])?.versions ?? {};
  const md = `# CaloMan training throughput

- Machine: ${model}, ${cpus().length} cores (shared; 1-minute load average ${loadStart.toFixed(1)} at the start of the run, ${loadavg()[0].toFixed(1)} at the end).
- Command: \`node packages/caloman/bench/train.bench.mjs${args.length ? ` ${args.join(' ')}` : ''}\`
- Date: ${new Date().toISOString()}
- Software: Node ${process.version}; TensorFlow.js ${v['tfjs-core'] ?? '4.22.0'}; native TensorFlow ${v.tensorflow ?? '(not built)'} with oneDNN on (device layer default); PyTorch ${torch.torch ?? '–'} (Debian, OpenBLAS; run on 2 threads with libgomp's default OMP_WAIT_POLICY, on 2 threads with PASSIVE and on 1 thread; the fastest is the peer, the others are shown in the cell). Each network: native TensorFlow with TensorFlow's default intra-op threads (one per core) and with one (\`selectTfBackend({ threads: 1 })\`, or \`CALOZOO_TF_THREADS=1\`), then PyTorch right after them, then wasm and cpu.
- Config: \`defaultConfigFor(getGeometry('${GEOMETRY}'))\` — batch sizes, learning rates and gradient-clip norm from it; one step = forward, backward, global-norm clip, Adam (core's \`Adam\`, fused on native TensorFlow; \`torch.optim.Adam\` + \`clip_grad_norm_\`).
- PyTorch mirror: \`tools/caloman-reference/train_torch.py\` (the parallel MLP of \`src/dense.ts\` and the loss of \`src/vae.ts\`; the flows from \`tools/flows-reference/caloman_flow.py\` built from the same layer configs, permutations included). Parameters tfjs / PyTorch: ${paramCheck}.

Wall-clock throughput (training samples/s; samples/s = batch × steps / time after warm-up steps):

${table}
${pluginLine}

Process CPU time (all threads) per sample, which depends less on the other jobs of the shared machine:

${cpuTable}

Earlier runs: [HISTORY.md](HISTORY.md) (move this run's section there before rerunning).
`;
  writeFileSync(join(HERE, 'TRAINING.md'), md);
  process.stderr.write(`bench: wrote ${join(HERE, 'TRAINING.md')}\n`);
}

await main();
