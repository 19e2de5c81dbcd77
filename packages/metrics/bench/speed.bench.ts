/**
 * Speed benchmark: evaluate 100k vs 100k DS1-photon toy showers (hist-chi, FPD, KPD), and the
 * NumPy reference's time for the same features, histograms and separation powers.
 * Run: npm run bench -w @calozoo/metrics (BENCH_N overrides the sample size).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { it } from 'vitest';
import { getGeometry, writeShowerFile } from '@calozoo/core';
import { evaluate } from '../src/index.js';
import { toyShowers } from '../test/toy-showers.js';

const N = Number(process.env.BENCH_N ?? 100_000);

it(`evaluate ${N} vs ${N} ds1-photons`, async () => {
  const g = getGeometry('ds1-photons');
  const ref = toyShowers(g, { n: N, seed: 1 });
  const gen = toyShowers(g, { n: N, seed: 2, shift: 0.5 });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const full = await evaluate({ reference: ref, generated: gen, geometry: g });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  console.log(`[bench] full evaluate (hist-chi + fpd + kpd), in memory: ${wall.toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU (all threads)`, JSON.stringify(full.result.timing));
  console.log(`[bench] FPD×1e3 = ${(full.result.fpd!.value * 1e3).toFixed(4)} ± ${(full.result.fpd!.error * 1e3).toFixed(4)}, KPD×1e3 = ${(full.result.kpd!.value * 1e3).toFixed(5)} ± ${(full.result.kpd!.error * 1e3).toFixed(5)}`);

  const dir = mkdtempSync(join(tmpdir(), 'calozoo-metrics-bench-'));
  await writeShowerFile(join(dir, 'ref.h5'), ref, { geometry: g, compression: 0 });
  await writeShowerFile(join(dir, 'gen.h5'), gen, { geometry: g, compression: 0 });
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const hist = await evaluate({ reference: join(dir, 'ref.h5'), generated: join(dir, 'gen.h5'), geometry: g, modes: ['hist-chi'] });
  const histWall = (performance.now() - t1) / 1000;
  const histCpu = process.cpuUsage(c1);
  console.log(`[bench] hist-chi from HDF5 files (read + features + histograms + S/JSD/W1): ${histWall.toFixed(2)} s wall, ${((histCpu.user + histCpu.system) / 1e6).toFixed(2)} s CPU`, JSON.stringify(hist.result.timing));

  const script = resolve(import.meta.dirname, '../../../tools/reference-metrics/reference_metrics.py');
  const cfg = {
    reference: join(dir, 'ref.h5'), generated: join(dir, 'gen.h5'), out: join(dir, 'py.json'), dataset: 'ds1-photons', threshold: 1, hitThreshold: 1,
    geometry: { kind: 'cylindrical', layers: g.kind === 'cylindrical' ? g.layers.map((l) => ({ id: l.id, rEdges: l.rEdges, nAlpha: l.nAlpha })) : [] }, timing: true,
  };
  writeFileSync(join(dir, 'cfg.json'), JSON.stringify(cfg));
  const t2 = performance.now();
  const py = spawnSync('/usr/bin/bash', ['-c', `TIMEFORMAT='%U %S'; time /usr/bin/python3 ${script} ${join(dir, 'cfg.json')}`], { encoding: 'utf8' });
  const pyWall = (performance.now() - t2) / 1000;
  const [pu, ps] = py.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  if (py.status !== 0) {
    console.log('[bench] NumPy reference unavailable:', py.stderr);
    return;
  }
  const t = JSON.parse(readFileSync(cfg.out, 'utf8')).timing;
  console.log(`[bench] NumPy reference, same files: ${pyWall.toFixed(2)} s wall, ${(pu + ps).toFixed(2)} s CPU (load ${t.load_s.toFixed(2)} s, features + histograms + S/JSD/W1 ${t.features_hist_chi_s.toFixed(2)} s)`);
  console.log(`[bench] ratio calozoo hist-chi / NumPy: wall ${(histWall / pyWall).toFixed(2)}, CPU ${((histCpu.user + histCpu.system) / 1e6 / (pu + ps)).toFixed(2)}`);
});
