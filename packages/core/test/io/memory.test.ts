/**
 * Bounded memory: a file much larger than the allowed growth is written in appends and read
 * back in shuffled batches; resident memory and WASM memory stay far below the file size,
 * which shows that neither the writer nor the hyperslab reads hold the file (h5wasm's NODERAWFS
 * reads the host file page by page; WASM memory only grows to the largest block).
 */
import { statSync } from 'node:fs';
import h5wasm from 'h5wasm/node';
import { afterAll, describe, expect, it } from 'vitest';
import { createShowerWriter, ShowerDataset } from '../../src/io/index.js';
import { tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const V = 40500; // dataset 3
const N = 4000; // 648 MB of float32
const APPEND = 50;
const MiB = 2 ** 20;

describe('memory stays bounded by blocks, not by the file', () => {
  it('writes and streams a 648 MB dataset-3 file with < 160 MiB RSS growth', async () => {
    const m = await h5wasm.ready;
    const p = tmp.path('ds3-large.h5');
    const rss = (): number => process.memoryUsage().rss;
    const w = await createShowerWriter(p, { voxels: V, compression: 0, chunkRows: 10 });
    const base = rss();
    let peak = base;
    const chunk = { n: APPEND, voxels: V, energy: new Float32Array(APPEND), values: new Float32Array(APPEND * V) };
    let expectedSum = 0;
    for (let s = 0; s < N; s += APPEND) {
      chunk.values.fill(0);
      for (let i = 0; i < APPEND; i++) {
        const r = s + i;
        chunk.energy[i] = 1000 + r;
        chunk.values[i * V] = r;
        chunk.values[i * V + 1 + ((r * 7919) % (V - 1))] += 1;
        expectedSum += r + 1;
      }
      w.append(chunk);
      peak = Math.max(peak, rss());
    }
    await w.close();
    const size = statSync(p).size;
    expect(size).toBeGreaterThan(N * V * 4);
    const writeGrowth = peak - base;

    const ds = await ShowerDataset.open(p, { blockBytes: 8 * MiB, shuffleBufferBytes: 32 * MiB });
    const readBase = rss();
    let readPeak = readBase;
    let firstHalfPeak = readBase;
    let abPeak = 0;
    let rows = 0;
    let sum = 0;
    let sorted = true;
    let last = -1;
    for await (const batch of ds.batches(64, { shuffle: true, seed: 1 })) {
      for (let i = 0; i < batch.n; i++) {
        const r = batch.indices[i];
        expect(batch.values[i * V]).toBe(r);
        sorted &&= r > last;
        last = r;
      }
      for (let j = 0; j < batch.values.length; j++) sum += batch.values[j];
      rows += batch.n;
      readPeak = Math.max(readPeak, rss());
      abPeak = Math.max(abPeak, process.memoryUsage().arrayBuffers);
      if (rows <= N / 2) firstHalfPeak = readPeak;
    }
    ds.close();
    const readGrowth = readPeak - readBase;
    console.log(
      `file ${(size / MiB).toFixed(0)} MiB; RSS growth write ${(writeGrowth / MiB).toFixed(0)} MiB, ` +
        `read ${(readGrowth / MiB).toFixed(0)} MiB (arrayBuffers peak ${(abPeak / MiB).toFixed(0)} MiB, first half ${((firstHalfPeak - readBase) / MiB).toFixed(0)} MiB); WASM memory ${(m.HEAPU8.length / MiB).toFixed(0)} MiB`,
    );
    expect(rows).toBe(N);
    expect(sum).toBe(expectedSum);
    expect(sorted).toBe(false);
    expect(writeGrowth).toBeLessThan(160 * MiB);
    expect(readGrowth).toBeLessThan(160 * MiB);
    // a plateau: the second half of the file adds (almost) nothing to the peak
    expect(readPeak - firstHalfPeak).toBeLessThan(48 * MiB);
    expect(m.HEAPU8.length).toBeLessThan(256 * MiB);
  });
});
