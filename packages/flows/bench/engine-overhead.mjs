/**
 * What the training engine costs per step: the same flow (CaloMan's layer-energy flow preset, 5
 * dimensions, 1 context) trained on the same batches by a bare `Adam.minimize` loop and by
 * `runPhase`, alternated in rounds in one process on native TensorFlow (one intra-op thread).
 * Prints ms per step of each and their ratio. Needs built dist/ folders of core and flows:
 *   npx nx run-many -t build -p @calozoo/core @calozoo/flows && node packages/flows/bench/engine-overhead.mjs
 */
import { Adam, Rng, newPhaseState, runPhase, selectTfBackend, shuffledRows, tf } from '@calozoo/core';
import { Flow, couplingSplinePreset } from '../dist/index.js';

const device = await selectTfBackend({ threads: 1 });
const n = 40_960;
const batch = 2048;
const rng = new Rng(1);
const x = rng.fillNormal(new Float32Array(n * 5));
const c = rng.fillNormal(new Float32Array(n));
const gather = (a, d, rows) => {
  const out = new Float32Array(rows.length * d);
  for (let i = 0; i < rows.length; i++) out.set(a.subarray(rows[i] * d, rows[i] * d + d), i * d);
  return out;
};
const flow = new Flow(couplingSplinePreset(5, 1, { seed: 3 }));
const vars = Object.fromEntries(Object.entries(flow.variables()).filter(([, v]) => v.trainable));
const loss = (rows) => tf.neg(tf.mean(flow.logProb(tf.tensor2d(gather(x, 5, rows), [rows.length, 5]), tf.tensor2d(gather(c, 1, rows), [rows.length, 1]))));
const data = shuffledRows(n, batch);
const steps = data.steps; // 20 per epoch

async function bare(epochs) {
  const adam = new Adam(vars, { clipNorm: 10 });
  const t0 = performance.now();
  for (let e = 0; e < epochs; e++) for (const rows of data.epoch(e, 0, new Rng(7, e))) adam.minimize(() => loss(rows), 1e-3);
  const ms = (performance.now() - t0) / (epochs * steps);
  adam.dispose();
  return ms;
}

async function engine(epochs) {
  const t0 = performance.now();
  await runPhase(
    { name: 'epl', optimizers: [{ name: 'main', vars, learningRate: 1e-3, adam: { clipNorm: 10 } }], updates: [{ optimizer: 'main', loss }], data, maxEpochs: epochs, restoreBest: false },
    newPhaseState(),
    { seed: 7, index: 0, deadline: Infinity, history: [], checkpointDue: () => false, checkpoint: async () => {} },
  );
  return (performance.now() - t0) / (epochs * steps);
}

await bare(1); // warm-up
await engine(1);
const rows = [];
for (let round = 0; round < 4; round++) rows.push({ bare: await bare(3), engine: await engine(3) });
const med = (a) => a.slice().sort((p, q) => p - q)[Math.floor(a.length / 2)];
const b = med(rows.map((r) => r.bare));
const e = med(rows.map((r) => r.engine));
console.log(`backend ${device.chosen} (${device.threads} thread), batch ${batch}, ${steps} steps per epoch, 4 rounds of 3 epochs each`);
for (const r of rows) console.log(`  bare ${r.bare.toFixed(2)} ms/step   engine ${r.engine.toFixed(2)} ms/step`);
console.log(`median: bare ${b.toFixed(2)} ms/step, engine ${e.toFixed(2)} ms/step, engine/bare ${(e / b).toFixed(3)}`);
