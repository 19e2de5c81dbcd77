#!/usr/bin/env node
/**
 * Training throughput of the native TensorFlow backend against wasm, cpu and PyTorch, in one run:
 * `node tools/bench-native/bench.mjs [--quick] [--no-torch] [--no-cpu-3d]` after `npx nx run @calozoo/core:build`.
 * Networks: tfjs-nets.mjs (dense VAE, batch 256; 30³ WGAN-GP step, batch 32; built with core's
 * layer kit from the built @calozoo/core) and their PyTorch
 * mirror torch_nets.py, run with /usr/bin/python3 and torch.set_num_threads(2). Each measurement
 * runs in its own process. Prints a markdown table and writes tools/bench-native/RESULTS.md.
 * Not part of the tests; needs `npm run setup:native` for the tensorflow column.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild as runChildIn, timeSteps } from './child.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');

/** Child-process body: one network on one backend; prints a JSON line. */
async function worker(backend, net, warmup, steps, batch) {
  const { selectTfBackend } = await import('@calozoo/core');
  const report = await selectTfBackend({ backend, requires: net === 'wgan' ? ['conv3d'] : [] });
  const nets = await import('./tfjs-nets.mjs');
  const tfjsAdam = process.env.CALOZOO_BENCH_ADAM === 'tfjs';
  const model = net === 'dense' ? nets.denseVae(batch || 256, tfjsAdam) : nets.wganGp(batch || 32, tfjsAdam);
  const t = timeSteps(() => model.step(), model.batch, warmup, steps);
  console.log(JSON.stringify({ backend, net, batch: model.batch, optimizer: tfjsAdam ? 'tf.train.adam' : 'calozoo', onednn: process.env.TF_ENABLE_ONEDNN_OPTS, params: model.params, threads: report.threads, versions: report.versions, ...t }));
}

const runChild = (cmd, args, label, extraEnv) => runChildIn(ROOT, cmd, args, label, extraEnv);

/**
 * Runs the PyTorch peer with libgomp's default OMP_WAIT_POLICY (threads spin at barriers) and with
 * OMP_WAIT_POLICY=PASSIVE, and keeps the faster result per network: on a shared machine spinning
 * threads lose their core and PyTorch's 2-thread steps slow down up to 30×; on a quiet one the
 * default is usually faster. Both stay at 2 threads.
 */
function bestTorch(run, nets) {
  const active = run({}, 'PyTorch (OMP_WAIT_POLICY default)');
  const passive = run({ OMP_WAIT_POLICY: 'PASSIVE' }, 'PyTorch (OMP_WAIT_POLICY=PASSIVE)');
  if (!active && !passive) return undefined;
  const out = { ...(active ?? passive) };
  for (const net of nets) {
    const a = active?.[net], p = passive?.[net];
    const best = !a || (p && p.samples_per_s > a.samples_per_s) ? p && { ...p, omp: 'passive', other: a?.samples_per_s } : { ...a, omp: 'default', other: p?.samples_per_s };
    out[net] = best;
  }
  return out;
}

const num = (v) => (v >= 100 ? v.toFixed(0) : v.toPrecision(3));
const fmt = (r) => (r ? `${num(r.samples_per_s)} (${r.seconds_per_step.toPrecision(3)} s/step, ${r.steps} steps${r.omp ? `; OMP wait ${r.omp}${r.other ? `, other ${num(r.other)}` : ''}` : ''})` : '–');

async function main() {
  const args = process.argv.slice(2);
  if (args[0] === '--worker') return worker(args[1], args[2], Number(args[3]), Number(args[4]), Number(args[5] ?? 0));
  const quick = args.includes('--quick');
  const loadStart = loadavg()[0];
  const self = fileURLToPath(import.meta.url);
  // [backend, net, warmup, steps]: cpu and wasm only for a few steps; 3D only on tensorflow and cpu.
  const plan = [
    ['tensorflow', 'dense', 3, quick ? 5 : 30], ['tensorflow', 'wgan', 1, quick ? 1 : 5],
    ['wasm', 'dense', 1, quick ? 2 : 5], ['cpu', 'dense', 1, quick ? 1 : 3],
    ...(args.includes('--no-cpu-3d') ? [] : [['cpu', 'wgan', 0, 1]]),
  ];
  const results = {};
  let torch;
  // Native TensorFlow first, PyTorch right after it (so that their ratio sees the same load),
  // then the slow pure-JS backends.
  for (const [backend, net, warmup, steps] of plan) {
    if (backend !== 'tensorflow' && torch === undefined && !args.includes('--no-torch')) {
      torch = bestTorch((env, label) => runChild('/usr/bin/python3', [join(HERE, 'torch_nets.py'), '--threads', '2', '--dense-steps', quick ? '5' : '20', '--wgan-steps', quick ? '1' : '3'], label, env), ['dense', 'wgan']) ?? null;
    }
    results[`${backend}/${net}`] = runChild(process.execPath, [self, '--worker', backend, net, String(warmup), String(steps)], `tfjs ${backend} ${net}`);
  }
  const tfRes = results['tensorflow/dense'] ?? results['cpu/dense'];
  const wganRes = results['tensorflow/wgan'] ?? results['cpu/wgan'];
  const params = (r) => (r ? (typeof r.params === 'number' ? `${(r.params / 1e6).toFixed(2)}M` : `G ${(r.params.generator / 1e6).toFixed(2)}M, D ${(r.params.critic / 1e6).toFixed(2)}M`) : '?');
  const speedup = (a, b) => (a && b ? `${(a.samples_per_s / b.samples_per_s).toFixed(2)}×` : '–');
  const table = [
    '| network (training samples/s) | tfjs tensorflow (native) | tfjs wasm | tfjs cpu | PyTorch | tensorflow ÷ cpu | tensorflow ÷ PyTorch |',
    '|---|---|---|---|---|---|---|',
    `| dense VAE 368→512³→35, ${params(tfRes)} params, batch 256 | ${fmt(results['tensorflow/dense'])} | ${fmt(results['wasm/dense'])} | ${fmt(results['cpu/dense'])} | ${fmt(torch?.dense)} | ${speedup(results['tensorflow/dense'], results['cpu/dense'])} | ${speedup(results['tensorflow/dense'], torch?.dense)} |`,
    `| WGAN-GP 30³ step (critic+GP, generator), ${params(wganRes)}, batch 32 | ${fmt(results['tensorflow/wgan'])} | not run (wasm 3D conv gradients wrong) | ${fmt(results['cpu/wgan'])} | ${fmt(torch?.wgan)} | ${speedup(results['tensorflow/wgan'], results['cpu/wgan'])} | ${speedup(results['tensorflow/wgan'], torch?.wgan)} |`,
  ].join('\n');
  const ms = (r) => (r?.cpu_ms_per_sample ? r.cpu_ms_per_sample.toPrecision(3) : '–');
  const ratio = (a, b) => (a?.cpu_ms_per_sample && b?.cpu_ms_per_sample ? `${(b.cpu_ms_per_sample / a.cpu_ms_per_sample).toFixed(1)}×` : '–');
  const cpuTable = [
    '| network (CPU time per training sample, core·ms; lower is better) | tfjs tensorflow (native) | tfjs wasm | tfjs cpu | PyTorch | cpu ÷ tensorflow | PyTorch ÷ tensorflow |',
    '|---|---|---|---|---|---|---|',
    `| dense VAE, batch 256 | ${ms(results['tensorflow/dense'])} | ${ms(results['wasm/dense'])} | ${ms(results['cpu/dense'])} | ${ms(torch?.dense)} | ${ratio(results['tensorflow/dense'], results['cpu/dense'])} | ${ratio(results['tensorflow/dense'], torch?.dense)} |`,
    `| WGAN-GP 30³ step, batch 32 | ${ms(results['tensorflow/wgan'])} | – | ${ms(results['cpu/wgan'])} | ${ms(torch?.wgan)} | ${ratio(results['tensorflow/wgan'], results['cpu/wgan'])} | ${ratio(results['tensorflow/wgan'], torch?.wgan)} |`,
  ].join('\n');
  console.log(`${table}\n\n${cpuTable}`);
  const lscpu = spawnSync('lscpu', [], { encoding: 'utf8' }).stdout ?? '';
  const model = lscpu.match(/Model name:\s*(.+)/)?.[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
  const tfVersions = results['tensorflow/dense']?.versions ?? {};
  const md = `# Native TensorFlow backend: training throughput

- Machine: ${model}, ${cpus().length} cores (shared with other jobs; 1-minute load average ${loadStart.toFixed(1)} at the start of the run, ${loadavg()[0].toFixed(1)} at the end).
- Command: \`node tools/bench-native/bench.mjs${args.length ? ` ${args.join(' ')}` : ''}\`
- Date: ${new Date().toISOString()}
- Software: Node ${process.version}; TensorFlow.js ${tfVersions['tfjs-core'] ?? '4.22.0'}; native TensorFlow ${tfVersions.tensorflow ?? '(not built)'} (tfjs-node ${tfVersions['tfjs-node'] ?? '–'}, built by \`npm run setup:native\`); PyTorch ${torch?.torch ?? '–'} (Debian, OpenBLAS pthread).
- Threads: native TensorFlow uses its default pools (all ${cpus().length} cores), with oneDNN kernels on (\`TF_ENABLE_ONEDNN_OPTS=${results['tensorflow/wgan']?.onednn ?? results['tensorflow/dense']?.onednn ?? '?'}\`, set by the device layer: \`packages/core/src/device/native-tuning.ts\`); PyTorch \`torch.set_num_threads(2)\` (Debian build with MKL-DNN 2.6 and OpenBLAS pthread), run with libgomp's default OMP_WAIT_POLICY and with PASSIVE, the faster kept per network (the other in the cell); tfjs wasm and cpu run on one thread.
- Networks: \`tools/bench-native/tfjs-nets.mjs\` and its mirror \`torch_nets.py\`; Adam; samples/s = batch × steps / time after warm-up steps.

Wall-clock throughput (samples/s):

${table}

Process CPU time (all threads) per sample, which depends less on what else the shared machine is
running than wall-clock time does:

${cpuTable}

The WGAN-GP step is one critic update with gradient penalty (double backprop through conv3d and
leaky ReLU) plus one generator update. wasm is left out of 3D: its Conv3DBackprop* kernels are
wrong in tfjs-backend-wasm 4.22, and calozoo routes them to the cpu implementation.
`;
  writeFileSync(join(HERE, 'RESULTS.md'), md);
  process.stderr.write(`bench: wrote ${join(HERE, 'RESULTS.md')}\n`);
}

await main();
