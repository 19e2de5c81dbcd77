/**
 * Writes the large DS3 toy file used by memory.bench.ts (BENCH_GB gigabytes, default 10) unless
 * it already exists with the right size. Separate file so that the evaluation runs in a fresh
 * process and its peak RSS is its own.
 */
import { existsSync, statSync } from 'node:fs';
import { it } from 'vitest';
import { createShowerWriter, getGeometry, openShowerFile } from '@calozoo/core';
import { toyShowers } from '../test/toy-showers.js';

export const BIG_FILE = process.env.BENCH_FILE ?? '/tmp/calozoo-metrics-big-ds3.h5';
const GB = Number(process.env.BENCH_GB ?? 10);

it(`writes a ${GB} GB DS3 file`, async () => {
  const g = getGeometry('calochallenge-3');
  const n = Math.ceil((GB * 1e9) / (4 * g.voxels));
  if (existsSync(BIG_FILE)) {
    const f = await openShowerFile(BIG_FILE, { geometry: g, validate: false });
    const have = f.n;
    f.close();
    if (have === n) {
      console.log(`[bench] reusing ${BIG_FILE}: ${n} showers, ${(statSync(BIG_FILE).size / 1e9).toFixed(2)} GB`);
      return;
    }
  }
  const t0 = performance.now();
  const w = await createShowerWriter(BIG_FILE, { geometry: g, n, compression: 0 });
  const chunk = 500;
  for (let s = 0; s < n; s += chunk) w.append(toyShowers(g, { n: Math.min(chunk, n - s), seed: 1000 + s, hits: 12 }));
  await w.close();
  console.log(`[bench] wrote ${BIG_FILE}: ${n} showers, ${(statSync(BIG_FILE).size / 1e9).toFixed(2)} GB in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});
