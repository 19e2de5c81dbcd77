#!/usr/bin/env node
/**
 * Per-kernel time of one native WGAN-GP 30³ step (tools/bench-native/tfjs-nets.mjs) via tf.profile:
 * `node tools/bench-native/profile-wgan.mjs [backend] [top]` after `npx nx run @calozoo/core:build`.
 */
import { selectTfBackend, tf } from '@calozoo/core';

const backend = process.argv[2] ?? 'tensorflow';
const top = Number(process.argv[3] ?? 25);
await selectTfBackend({ backend, requires: ['conv3d'] });
const nets = await import('./tfjs-nets.mjs');
const model = nets.wganGp(32);
model.step();
const t0 = performance.now();
const prof = await tf.profile(() => { model.step(); });
const wall = performance.now() - t0;
const agg = new Map();
for (const k of prof.kernels) {
  const key = `${k.name} ${JSON.stringify(k.inputShapes)}`;
  const a = agg.get(key) ?? { n: 0, ms: 0 };
  a.n++; a.ms += k.kernelTimeMs;
  agg.set(key, a);
}
const total = prof.kernels.reduce((s, k) => s + k.kernelTimeMs, 0);
console.log(`wall ${wall.toFixed(0)} ms (profiled), kernels ${prof.kernels.length}, kernel time ${total.toFixed(0)} ms`);
for (const [key, a] of [...agg].sort((x, y) => y[1].ms - x[1].ms).slice(0, top)) {
  console.log(`${a.ms.toFixed(1).padStart(8)} ms ${String(a.n).padStart(3)}× ${key}`);
}
