/**
 * Benchmark of the CaloMan flow preset (dim 35, context 6): samples/s for sampling and log-prob
 * at batch 1, 100 and 10 000, and training steps/s (batch 512, Adam), against the PyTorch
 * reference in tools/flows-reference (same architecture, torch.set_num_threads(2)), measured in
 * one run. Prints a ratio table and writes bench/RESULTS.md.
 *
 *   npm run bench -w @calozoo/flows     (FLOWS_BENCH_BACKENDS=tensorflow,wasm,cpu picks backends;
 *                                        default: native TensorFlow and wasm, those that start)
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, selectTfBackend, type TfBackendName, type TfDeviceReport } from '@calozoo/core';
import { Flow, couplingSplinePreset, fitFlow } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const BATCHES = [1, 100, 10000];
const TRAIN_BATCH = 512;

/** Mean seconds per call: one warm-up, then at least `minReps` calls and `minTime` seconds. */
function timed(fn: () => void, minTime = 1, minReps = 3): number {
  fn();
  let reps = 0;
  const t0 = performance.now();
  while (reps < minReps || performance.now() - t0 < minTime * 1000) {
    fn();
    reps++;
  }
  return (performance.now() - t0) / 1000 / reps;
}

interface Numbers {
  sample: Record<string, number>;
  logProb: Record<string, number>;
  trainStepsPerSecond: number;
}

function fmt(v: number): string {
  return v >= 100 ? v.toFixed(0) : v.toPrecision(3);
}

async function measure(backend: TfBackendName): Promise<{ report: TfDeviceReport; numbers: Numbers }> {
  const report = await selectTfBackend({ backend });
  const flow = new Flow(couplingSplinePreset(35, 6, { seed: 0 }));
  const rng = new Rng(1);
  const numbers: Numbers = { sample: {}, logProb: {}, trainStepsPerSecond: 0 };
  for (const n of BATCHES) {
    const c = tf.keep(tf.randomUniform([n, 6], -1, 1, 'float32', 2) as tf.Tensor2D);
    const x = tf.keep(tf.randomUniform([n, 35], -1, 1, 'float32', 3) as tf.Tensor2D);
    numbers.sample[n] = n / timed(() => tf.tidy(() => void flow.sample(n, rng, c).dataSync()));
    numbers.logProb[n] = n / timed(() => tf.tidy(() => void flow.logProb(x, c).dataSync()));
    c.dispose();
    x.dispose();
  }
  const steps = 30;
  const x = new Float32Array(steps * TRAIN_BATCH * 35).map(() => 2 * rng.uniform() - 1);
  const context = new Float32Array(steps * TRAIN_BATCH * 6).map(() => 2 * rng.uniform() - 1);
  const warm = { x: x.subarray(0, 2 * TRAIN_BATCH * 35), context: context.subarray(0, 2 * TRAIN_BATCH * 6) };
  await fitFlow(flow, warm, { epochs: 1, batchSize: TRAIN_BATCH, lr: 1e-3, rng, validation: 0 });
  const t0 = performance.now();
  const fit = await fitFlow(flow, { x, context }, { epochs: 1, batchSize: TRAIN_BATCH, lr: 1e-3, rng, validation: 0 });
  numbers.trainStepsPerSecond = fit.steps / ((performance.now() - t0) / 1000);
  flow.dispose();
  return { report, numbers };
}

it('benchmarks the CaloMan flow against the PyTorch reference', async () => {
  const wanted = (process.env.FLOWS_BENCH_BACKENDS ?? 'tensorflow,wasm').split(',') as TfBackendName[];
  const ours: { report: TfDeviceReport; numbers: Numbers }[] = [];
  const unavailable: string[] = [];
  for (const b of wanted) {
    try {
      ours.push(await measure(b));
    } catch (error) {
      unavailable.push(`${b} (${(error as Error).message.split('. ')[0]})`);
    }
  }
  const python = '/usr/bin/python3';
  const script = join(root, 'tools', 'flows-reference', 'caloman_flow.py');
  const torchOut = JSON.parse(execFileSync(python, [script, 'bench', '--threads', '2', '--train-batch', String(TRAIN_BATCH)], { encoding: 'utf8' })) as Numbers & { torch: string };

  const head = ours.map((o) => `tfjs ${o.report.chosen}`);
  const rows: string[] = [];
  rows.push(`| measurement | ${head.join(' | ')} | PyTorch ${torchOut.torch} (2 threads) | ${head.map((h) => `${h} / PyTorch`).join(' | ')} |`);
  rows.push(`|---|${ours.map(() => '---:|').join('')}---:|${ours.map(() => '---:|').join('')}`);
  const line = (label: string, get: (n: Numbers) => number, ref: number) =>
    `| ${label} | ${ours.map((o) => fmt(get(o.numbers))).join(' | ')} | ${fmt(ref)} | ${ours.map((o) => (get(o.numbers) / ref).toFixed(2)).join(' | ')} |`;
  for (const kind of ['sample', 'logProb'] as const) {
    for (const n of BATCHES) rows.push(line(`${kind} samples/s, batch ${n}`, (v) => v[kind][n], torchOut[kind][String(n)]));
  }
  rows.push(line(`training steps/s, batch ${TRAIN_BATCH}`, (v) => v.trainStepsPerSecond, torchOut.trainStepsPerSecond));
  const table = rows.join('\n');
  console.log(table);

  const cpu = execFileSync('lscpu', { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /^(Model name|CPU\(s\)|Thread\(s\) per core):/.test(l))
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .join('; ');
  const md = `# @calozoo/flows benchmark

CaloMan flow preset (\`couplingSplinePreset(35, 6)\`: 4 RQS couplings, 8 bins, 3 × 64 residual blocks,
permutation + LU linear after each), against the PyTorch reference of the same flow in
\`tools/flows-reference/caloman_flow.py\`, all measured in one run. Samples/s = batch size / seconds
per call (sampling includes drawing the base noise; log-prob of given rows, no gradient); training
= Adam steps/s on the mean negative log-likelihood with batch ${TRAIN_BATCH}. Ratios above 1 mean
calozoo is faster.

- Date: ${new Date().toISOString()}
- Machine: ${cpu}
- Node ${process.version}, TensorFlow.js ${tf.version_core}; backends ${ours.map((o) => `\`${o.report.chosen}\``).join(', ')}${unavailable.length ? `; unavailable: ${unavailable.join(', ')}` : ''}
- PyTorch ${torchOut.torch}, \`torch.set_num_threads(2)\`, \`/usr/bin/python3\`
- Command: \`npm run bench -w @calozoo/flows\` (\`vitest run --config bench/vitest.config.ts\`)
- Measured on a shared 2-core machine while other jobs ran, so absolute numbers are noisy; the
  columns were measured back to back.

${table}
`;
  writeFileSync(join(here, 'RESULTS.md'), md);
});
