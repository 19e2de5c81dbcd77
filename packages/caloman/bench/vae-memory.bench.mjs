/**
 * Peak memory and speed of CaloMan's VAE training step on DS2 (6480 voxels, hidden 512×3, batch
 * 512) on the native TensorFlow backend: one child process per setting (peak RSS is per process),
 * with core's early release of backward-pass tensors on and off, whole batches and 256-row slices.
 * Random inputs; the step is the one `fitCaloMan` runs (Adam, per-voxel likelihood).
 *
 *   node packages/caloman/bench/vae-memory.bench.mjs [--steps 30]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Adam, Rng, batchSlices, selectTfBackend, setBackpropRelease, tf } from '@calozoo/core';
import { ConditionalVae } from '../dist/vae.js';

const args = process.argv.slice(2);
const steps = Number(args[args.indexOf('--steps') + 1] || 30);

if (process.env.VAE_MEMORY_CHILD) {
  const report = await selectTfBackend({ threads: 1 });
  if (report.tfBackend !== 'tensorflow') throw new Error(`vae-memory: needs native TensorFlow (npm run setup:native), got ${report.tfBackend}`);
  setBackpropRelease(process.env.RELEASE === '1');
  const slice = Number(process.env.SLICE);
  const V = 6480, L = 45, D = 48, B = 512;
  const vae = new ConditionalVae({ voxels: V, conditionDim: 1 + L, latentDim: D, hidden: [512, 512, 512], likelihood: 'per-voxel' }, new Rng(1, 2));
  const adam = new Adam(vae.params.named(), { fused: 'auto' });
  const rng = new Rng(3, 0);
  const x = rng.fillUniform(new Float32Array(B * V));
  const y = rng.fillNormal(new Float32Array(B * (1 + L)));
  const kib = (key) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))[1]);
  const before = kib('VmRSS');
  let t0 = 0;
  for (let s = 0; s < steps; s++) {
    if (s === 2) t0 = performance.now();
    const part = (start, end) => () => {
      const m = end - start;
      return vae.loss(tf.tensor2d(x.subarray(start * V, end * V), [m, V]), tf.tensor2d(y.subarray(start * (1 + L), end * (1 + L)), [m, 1 + L]), tf.tensor2d(rng.fillNormal(new Float32Array(m * D)), [m, D]), 1).loss;
    };
    const parts = batchSlices(B, slice).map(({ start, end, weight }) => ({ loss: part(start, end), weight }));
    adam.minimize(parts.length === 1 ? parts[0].loss : parts, 1e-4);
  }
  const msPerStep = (performance.now() - t0) / (steps - 2);
  process.stdout.write(JSON.stringify({ peakMiB: kib('VmHWM') / 1024, beforeMiB: before / 1024, msPerStep }) + '\n');
} else {
  const rows = [];
  for (const release of ['0', '1']) {
    for (const slice of [512, 256]) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--steps', String(steps)], {
        env: { ...process.env, VAE_MEMORY_CHILD: '1', RELEASE: release, SLICE: String(slice) },
        encoding: 'utf8',
      });
      const r = JSON.parse(out.trim().split('\n').pop());
      rows.push({ release: release === '1' ? 'on' : 'off', slice, ...r });
    }
  }
  console.log(`VAE step, DS2 (6480 voxels), batch 512, ${steps} steps, native TensorFlow, 1 thread`);
  console.log('| backward release | rows per pass | peak RSS (MiB) | RSS before training (MiB) | step growth (MiB) | ms/step |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.release} | ${r.slice} | ${r.peakMiB.toFixed(0)} | ${r.beforeMiB.toFixed(0)} | ${(r.peakMiB - r.beforeMiB).toFixed(0)} | ${r.msPerStep.toFixed(0)} |`);
}
