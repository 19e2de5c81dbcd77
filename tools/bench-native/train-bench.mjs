/**
 * What the training-speed benchmarks of the model plugins share (packages/bib-ae/bench,
 * packages/wgan/bench): timing a training phase through core's engine as `calozoo train` runs it,
 * the PyTorch mirror run at its faster OpenMP wait policy, and the result table.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fitRepresentation, gatherRows, memorySource, newPhaseState, prepareData, runPhase, shuffledRows, tf } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { fmt } from './generate-bench.mjs';

/**
 * `rows` simulated showers (seed 1) of `geometry` as training data for `config` (its
 * representation fitted as the plugins' `fit` does), every one a training row: prepareData keeps one
 * more shower for validation, which the timed phases do not use.
 */
export async function benchData(geometry, config, rows) {
  const showers = simulateShowers(geometry, { n: rows + 1, seed: 1 });
  const data = await prepareData(memorySource(showers), geometry, (s, r) => fitRepresentation(config, s.values, s.energy, s.voxels, r), config, { seed: 1, validationFraction: 1 / (rows + 1) });
  if (data.trainRows.length !== rows) throw new Error(`expected ${rows} training rows, got ${data.trainRows.length}`);
  return data;
}

/** Tensors as safetensors entries (float32). */
export const toWrite = (tensors) => Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { dtype: 'F32', shape: t.shape, data: t.dataSync() }]));

/** The training rows for a mirror: `train.x` [rows, V] network values, `train.c` conditions and `train.e` energies (MeV) [rows, 1]. */
export function trainingRows(data) {
  return tf.tidy(() => {
    const { x, c } = gatherRows(data, data.trainRows);
    return toWrite({ 'train.x': x, 'train.c': c, 'train.e': tf.tensor2d(Float32Array.from(data.trainRows, (r) => data.energy[r]), [data.trainRows.length, 1]) });
  });
}

/**
 * Showers/s of `phase` through core's `runPhase` over the training rows `trainRows` in batches of
 * `batch`: one epoch without validation or checkpoints, timed from the engine's progress event of
 * step `warmup` to its last (the first steps warm the kernels up). A step is one engine step: one
 * batch of real showers and the phase's updates on it.
 */
export async function timePhase(phase, { trainRows, batch, warmup }) {
  const marks = [];
  const timed = { ...phase, validate: undefined, patience: undefined, restoreBest: false, maxEpochs: 1, data: shuffledRows(trainRows.length, batch, { rows: trainRows }) };
  await runPhase(timed, newPhaseState(), {
    seed: 1, index: 0, deadline: Infinity, history: [], checkpointDue: () => false, checkpoint: async () => {},
    onProgress: (e) => {
      if (e.unit === 'steps') marks.push({ done: e.done, t: performance.now() });
    },
  });
  const first = marks.find((m) => m.done >= warmup);
  const last = marks[marks.length - 1];
  if (!first || last.done - first.done < 1) throw new Error(`${phase.name}: too few progress events to time (${marks.length})`);
  const steps = last.done - first.done;
  const seconds = (last.t - first.t) / 1000;
  return { steps, seconds, secondsPerStep: seconds / steps, showersPerSecond: (batch * steps) / seconds };
}

/**
 * Runs a PyTorch training mirror (`/usr/bin/python3 script out --threads --steps --warmup --stages
 * --json`) with libgomp's default wait policy and with PASSIVE (or the `policies` given); returns per stage the faster run's
 * row with both policies' showers/s, and the check of the first run ({ stages: {}, check: null } when
 * the mirror failed or torch is missing).
 */
export function runTrainMirror({ script, out, threads, steps, warmup, stages, policies = ['default', 'passive'] }) {
  const mirror = (policy) => {
    const json = path.join(out, `torch-${policy}.json`);
    const env = { ...process.env, ...(policy === 'passive' ? { OMP_WAIT_POLICY: 'PASSIVE' } : {}) };
    const r = spawnSync('/usr/bin/python3', [script, out, '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup), '--stages', stages.join(','), '--json', json], { stdio: ['ignore', 'ignore', 'inherit'], env });
    return r.status === 0 && existsSync(json) ? JSON.parse(readFileSync(json, 'utf8')) : null;
  };
  const runs = policies.map((policy) => ({ policy, t: mirror(policy) })).filter((x) => x.t);
  if (runs.length === 0) {
    console.error('PyTorch mirror failed or is not installed (apt-get install python3-torch libopenblas0-pthread): no ratio column');
    return { stages: {}, check: null };
  }
  const best = {};
  for (const stage of stages) {
    const rows = runs.map((x) => ({ policy: x.policy, ...x.t.stages[stage] }));
    best[stage] = { ...rows.reduce((a, b) => (b.showersPerSecond > a.showersPerSecond ? b : a)), policies: Object.fromEntries(rows.map((x) => [x.policy, x.showersPerSecond])) };
  }
  return { stages: best, check: runs[0].t.check, version: runs[0].t.torch };
}

/** "name max|Δ| of max|y|, …" of a mirror's check. */
export const checkLine = (check) => Object.entries(check).map(([k, v]) => `${k} ${v.maxAbsDiff.toExponential(1)} of ${v.maxAbs.toExponential(1)}`).join(', ');

/** The table: per stage TF.js and PyTorch showers/s and s/step and their ratio. `rows`: [{ label, tfjs, torch? }]. */
export function trainTable(rows) {
  return [
    '| stage | TF.js showers/s | s/step | PyTorch showers/s | s/step | TF.js ÷ PyTorch |',
    '|---|---:|---:|---:|---:|---:|',
    ...rows.map(({ label, tfjs, torch }) => `| ${label} | ${fmt(tfjs.showersPerSecond)} | ${fmt(tfjs.secondsPerStep)} | ${torch ? fmt(torch.showersPerSecond) : '–'} | ${torch ? fmt(torch.secondsPerStep) : '–'} | ${torch ? `**${(tfjs.showersPerSecond / torch.showersPerSecond).toFixed(2)}×**` : '–'} |`),
  ];
}
