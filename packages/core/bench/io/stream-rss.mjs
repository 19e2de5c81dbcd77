#!/usr/bin/env node
/**
 * Benchmark: peak resident memory and throughput of streaming a large dataset-3 shower file.
 *
 * Writes a > 2 GB CaloChallenge file (default 15 000 showers × 40 500 voxels float32,
 * uncompressed so that its size on disk is the real 2.4 GB) with the streaming writer, then
 * reads it back in batches, in file order and shuffled, printing peak RSS and MB/s for each
 * phase. A smaller gzip-4 file measures the cost of decompression.
 *
 * Run on the built package (plain node, no TypeScript loader):
 *   npx tsc -p packages/core/tsconfig.build.json
 *   node packages/core/bench/io/stream-rss.mjs [--rows 15000] [--voxels 40500] [--gzip-rows 3000]
 *        [--batch 256] [--shuffle-mib 256] [--dir /tmp] [--keep]
 * Reads happen right after the write, so they hit a warm page cache: the MB/s measure
 * calozoo + h5wasm + HDF5, not the disk.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { createShowerWriter, ShowerDataset } from '../../dist/io/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const ROWS = Number(opt('rows', 15000));
const V = Number(opt('voxels', 40500));
const GZIP_ROWS = Number(opt('gzip-rows', 3000));
const BATCH = Number(opt('batch', 256));
const SHUFFLE_MIB = Number(opt('shuffle-mib', 256));
const dir = mkdtempSync(join(opt('dir', tmpdir()), 'calozoo-bench-io-'));
const keep = args.includes('--keep');
const MiB = 2 ** 20;
const mb = (x) => (x / 1e6).toFixed(0);

let peak = 0;
const sample = () => {
  const r = process.memoryUsage().rss;
  if (r > peak) peak = r;
  return r;
};

/** Synthetic showers: ~5 % of voxels non-zero (like DS3 at high energy), first voxel = row. */
function fill(batch, first) {
  batch.values.fill(0);
  for (let i = 0; i < batch.n; i++) {
    const r = first + i;
    batch.energy[i] = 1000 * 1.0005 ** r;
    const row = batch.values.subarray(i * V, (i + 1) * V);
    row[0] = r;
    let h = (r * 2654435761) >>> 0;
    for (let k = 0; k < V / 20; k++) {
      h = (Math.imul(h, 1664525) + 1013904223) >>> 0;
      row[1 + (h % (V - 1))] = (h >>> 8) / 2 ** 24;
    }
  }
}

async function write(path, rows, compression) {
  const w = await createShowerWriter(path, { voxels: V, compression, generator: 'bench', seed: 1 });
  const n = 100;
  const batch = { n, voxels: V, energy: new Float32Array(n), values: new Float32Array(n * V) };
  peak = 0;
  const base = sample();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let genMs = 0;
  for (let s = 0; s < rows; s += n) {
    const k = Math.min(n, rows - s);
    const g0 = performance.now();
    fill(batch, s);
    genMs += performance.now() - g0;
    w.append(k === n ? batch : { n: k, voxels: V, energy: batch.energy.subarray(0, k), values: batch.values.subarray(0, k * V) });
    sample();
  }
  await w.close();
  const s = (performance.now() - t0 - genMs) / 1000;
  const cpu = cpuSeconds(c0) - genMs / 1000;
  const bytes = rows * V * 4;
  return { seconds: s, cpu, mbps: bytes / 1e6 / s, cpuMbps: bytes / 1e6 / cpu, fileBytes: statSync(path).size, rssBase: base, rssPeak: peak };
}

async function read(path, shuffle) {
  const ds = await ShowerDataset.open(path, { shuffleBufferBytes: SHUFFLE_MIB * MiB });
  peak = 0;
  const base = sample();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  let rows = 0;
  let bad = 0;
  for await (const b of ds.batches(BATCH, shuffle ? { shuffle: true, seed: 1 } : {})) {
    for (let i = 0; i < b.n; i++) if (b.values[i * V] !== b.indices[i]) bad++;
    rows += b.n;
    sample();
  }
  ds.close();
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(c0);
  if (rows !== ds.n || bad) throw new Error(`read ${rows} rows, ${bad} wrong`);
  return { seconds: s, cpu, mbps: (rows * V * 4) / 1e6 / s, cpuMbps: (rows * V * 4) / 1e6 / cpu, rssBase: base, rssPeak: peak };
}

/** User + system CPU seconds since `c0` (robust to other load on a shared machine). */
function cpuSeconds(c0) {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1e6;
}

function report(label, r) {
  const growth = r.rssPeak - r.rssBase;
  console.log(
    `${label.padEnd(34)} ${r.seconds.toFixed(1).padStart(6)} s ${mb(r.mbps * 1e6).padStart(6)} MB/s wall, ` +
      `${r.cpu.toFixed(1).padStart(5)} s ${mb(r.cpuMbps * 1e6).padStart(5)} MB/s CPU   ` +
      `RSS before ${(r.rssBase / MiB).toFixed(0)} MiB, peak ${(r.rssPeak / MiB).toFixed(0)} MiB (+${(growth / MiB).toFixed(0)} MiB)`,
  );
}

try {
  console.log(`node ${process.version}; ${ROWS} × ${V} float32 showers (${mb(ROWS * V * 4)} MB), batches of ${BATCH}, shuffle buffer ${SHUFFLE_MIB} MiB; dir ${dir}`);
  const big = join(dir, 'ds3-big.h5');
  const w = await write(big, ROWS, 0);
  console.log(`file on disk: ${mb(w.fileBytes)} MB (${(w.fileBytes / 2 ** 30).toFixed(2)} GiB)`);
  report('write, uncompressed', w);
  report('read in file order, uncompressed', await read(big, false));
  report('read shuffled, uncompressed', await read(big, true));
  if (!keep) rmSync(big);
  if (GZIP_ROWS > 0) {
    const gz = join(dir, 'ds3-gzip.h5');
    const g = await write(gz, GZIP_ROWS, 4);
    console.log(`gzip-4 file: ${GZIP_ROWS} showers, ${mb(g.fileBytes)} MB on disk (${mb(GZIP_ROWS * V * 4)} MB of float32)`);
    report('write, gzip 4', g);
    report('read in file order, gzip 4', await read(gz, false));
    report('read shuffled, gzip 4', await read(gz, true));
  }
  console.log(`h5wasm WASM memory: ${((await h5wasm.ready).HEAPU8.length / MiB).toFixed(0)} MiB`);
  console.log(`process peak RSS (getrusage): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
