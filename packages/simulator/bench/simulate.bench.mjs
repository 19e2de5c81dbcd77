/**
 * Simulator throughput: showers per second on one core for the built-in geometries, with each
 * dataset's own incident-energy distribution. Prints wall-clock and CPU-time rates (the CPU rate
 * is the honest single-core number on a shared machine) as a Markdown table.
 *
 * Runs the built `dist/` (what users run), after a warm-up long enough for the JIT to settle.
 *
 *   npm run bench -w @calozoo/simulator            # builds, then ~3 s per geometry
 *   BENCH_SECONDS=10 npm run bench -w @calozoo/simulator
 */
import { cpus } from 'node:os';
import { simulateShowers } from '../dist/index.js';

/** [geometry, showers per call] */
const CASES = [
  ['ds1-photons', 2000],
  ['ds1-pions', 2000],
  ['ds2', 200],
  ['ds3', 50],
  ['ild-ecal', 100],
  ['ild-hcal', 50],
  ['ild-ecal-angular', 100],
];
const seconds = Number(process.env.BENCH_SECONDS ?? 3);

const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString()}`);
console.log('\n| geometry | voxels | showers | wall showers/s | CPU showers/s |');
console.log('|---|---|---|---|---|');
let seed = 1;
for (const [id, batch] of CASES) {
  for (let w = 0; w < 3; w++) simulateShowers(id, { n: batch, seed: seed++ }); // warm-up (JIT)
  let n = 0;
  let voxels = 0;
  const w0 = performance.now();
  const c0 = cpuSeconds();
  while (performance.now() - w0 < seconds * 1000) {
    const s = simulateShowers(id, { n: batch, seed: seed++ });
    voxels = s.voxels;
    n += batch;
  }
  const wall = (performance.now() - w0) / 1000;
  const cpu = cpuSeconds() - c0;
  console.log(`| ${id} | ${voxels} | ${n} | ${(n / wall).toFixed(0)} | ${(n / cpu).toFixed(0)} |`);
}
