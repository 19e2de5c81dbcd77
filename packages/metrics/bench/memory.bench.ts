/**
 * Peak memory while evaluating a large file (memory-write.bench.ts writes it first): reference
 * and generated are the same DS3 file, streamed; modes hist-chi (FPD/KPD at d = 362 are compute-,
 * not memory-bound and take far longer). Reports VmHWM (peak RSS) of this process.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { it } from 'vitest';
import { getGeometry } from '@calozoo/core';
import { evaluate } from '../src/index.js';

const BIG_FILE = process.env.BENCH_FILE ?? '/tmp/calozoo-metrics-big-ds3.h5';
const rssMb = (key: 'VmHWM' | 'VmRSS'): number => Number(/(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith(key)) ?? '')?.[1] ?? NaN) / 1024;

it('peak memory while evaluating a large file', async () => {
  if (!existsSync(BIG_FILE)) throw new Error(`${BIG_FILE} is missing: run bench/memory-write.bench.ts first (npm run bench does)`);
  const before = rssMb('VmHWM');
  let sampled = 0;
  const t0 = performance.now();
  let last = 0;
  const { result } = await evaluate({
    reference: BIG_FILE,
    generated: BIG_FILE,
    geometry: getGeometry('calochallenge-3'),
    modes: ['hist-chi'],
    onProgress: (p) => {
      sampled = Math.max(sampled, rssMb('VmRSS'));
      if (performance.now() - last > 30_000) {
        last = performance.now();
        console.log(`[bench] ${p.stage} ${p.done}/${p.total}, RSS ${rssMb('VmRSS').toFixed(0)} MB`);
      }
    },
  });
  const wall = (performance.now() - t0) / 1000;
  console.log(`[bench] evaluated ${(statSync(BIG_FILE).size / 1e9).toFixed(2)} GB file (${result.samples.reference} DS3 showers) vs itself, hist-chi, in ${wall.toFixed(1)} s`);
  console.log(`[bench] peak RSS (VmHWM) ${rssMb('VmHWM').toFixed(0)} MB (at start ${before.toFixed(0)} MB; max sampled RSS ${sampled.toFixed(0)} MB)`, JSON.stringify(result.timing));
  console.log(`[bench] mean S ${result.summary?.meanSeparationPower} (0 expected: same file)`);
});
