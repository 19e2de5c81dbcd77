/**
 * The post-processor's ONNX graph with `keepZeros` (the cells with x > 0 gathered with NonZero, the
 * per-cell layers run on them alone, scattered back with ScatterND) against the same network on
 * every cell (`keepZeros` off; the masked output is the same on the hit cells), ms/shower on ONNX
 * Runtime at two shapes: the ILD 30³ grid with a sparse shower (27 000 cells, `--ild-hit` of them
 * hit, batch 64) and dataset 1 (368 cells, `--ds1-hit` hit, batch 2 048). 64 channels × 3 layers
 * (the dense default), untrained weights (speed does not depend on them), uniform random cell values.
 * The two graphs alternate call by call; the median of `--calls` timed calls after one warm-up each.
 *
 *   npx nx run-many -t build -p @calozoo/core @calozoo/bib-ae
 *   cd packages/bib-ae && npm run bench:post -- [--calls 7] [--threads 2] [--ild-hit 0.06] [--ds1-hit 0.8]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { OnnxGraphBuilder, Rng, createOrtSession } from '@calozoo/core';
import { PostProcessor } from '../dist/index.js';

const { values: a } = parseArgs({ options: { calls: { type: 'string', default: '7' }, threads: { type: 'string', default: '2' }, 'ild-hit': { type: 'string', default: '0.06' }, 'ds1-hit': { type: 'string', default: '0.8' } } });
const calls = Number(a.calls);
const threads = Number(a.threads);

/** Median ms/shower of the full-grid and hit-cell graphs on `n` showers of `V` cells, `hit` of them non-zero. */
async function time(V, hit, n) {
  const rng = new Rng(1);
  const x = rng.fillUniform(new Float32Array(n * V)).map((v) => (v < 1 - hit ? 0 : v));
  const feeds = { x: { data: x, dims: [n, V] }, s: { data: new Float32Array(n).fill(1), dims: [n, 1] }, c: { data: new Float32Array(n).fill(0.5), dims: [n, 1] } };
  const sessions = {};
  for (const keepZeros of [false, true]) {
    const pp = new PostProcessor(64, 64, 3, new Rng(2), keepZeros);
    const g = new OnnxGraphBuilder({ opset: 17 });
    g.output(pp.toOnnx(g, g.input('x', 'float32', [null, V]), g.input('s', 'float32', [null, 1]), g.input('c', 'float32', [null, 1])), 'y');
    sessions[keepZeros ? 'hit' : 'full'] = await createOrtSession(g.toBytes(), { threads });
    pp.dispose();
  }
  const ms = { full: [], hit: [] };
  for (let r = 0; r <= calls; r++) {
    for (const k of ['full', 'hit']) {
      const t = performance.now();
      await sessions[k].run(feeds);
      if (r > 0) ms[k].push((performance.now() - t) / n);
    }
  }
  for (const s of Object.values(sessions)) await s.dispose();
  const median = (v) => v.sort((p, q) => p - q)[Math.floor(v.length / 2)];
  return { full: median(ms.full), hit: median(ms.hit) };
}

const load = loadavg()[0].toFixed(2);
const rows = [['ILD 30³', 27000, Number(a['ild-hit']), 64], ['dataset 1', 368, Number(a['ds1-hit']), 2048]];
console.log(`| shape | cells | hit fraction | batch | every cell, ms/shower | hit cells, ms/shower | ratio |\n|---|---:|---:|---:|---:|---:|---:|`);
for (const [name, V, hit, n] of rows) {
  const t = await time(V, hit, n);
  console.log(`| ${name} | ${V} | ${hit} | ${n} | ${t.full.toFixed(4)} | ${t.hit.toFixed(4)} | **${(t.full / t.hit).toFixed(2)}×** |`);
}
console.log(`\nONNX Runtime, ${threads} threads, median of ${calls} calls each; load ${load} → ${loadavg()[0].toFixed(2)}; ${new Date().toISOString()}`);
