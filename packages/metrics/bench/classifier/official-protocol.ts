/**
 * Timing of the official classifier protocol (field-reference.md §2.4: width 2048, batch 1000,
 * Adam 2e-4) for one or more epochs on Gaussian rows of a chosen input dimension, to estimate
 * how long a full 50-epoch run takes on this machine. Not part of CI.
 * Run: npx vite-node -c vitest.config.ts bench/classifier/official-protocol.ts -- [d] [rowsPerClass] [epochs]
 */
import { Rng, selectTfBackend } from '@calozoo/core';
import { classifierTest } from '../../src/classifier/index.js';

const args = process.argv.slice(2).filter((a) => a !== '--').map(Number);
const [d = 30, rows = 4000, epochs = 1] = args;
const report = await selectTfBackend();
const sample = (seed: number, shift: number) => {
  const rng = new Rng(seed);
  const data = new Float32Array(rows * d);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() + shift;
  return { n: rows, d, data };
};
const t0 = performance.now();
const r = await classifierTest(sample(1, 0), sample(2, 0.05), { protocol: 'official', epochs, onEpoch: (e) => console.log(`epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)}, test acc ${e.testAccuracy.toFixed(4)}, ${((performance.now() - t0) / 1000).toFixed(1)} s`) });
const s = (performance.now() - t0) / 1000;
const trainRows = 2 * r.sizes.train;
console.log(`backend ${report.chosen}, d ${d}, ${rows} rows/class (train ${trainRows}), ${r.history.length} epoch(s): ${s.toFixed(1)} s; ${((1000 * s) / (r.history.length * trainRows)).toFixed(3)} ms per training row per epoch; AUC ${r.auc.toFixed(4)}`);
