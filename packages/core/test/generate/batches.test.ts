/** networkBatch: the showers per network call; generateInBatches: rows in order, batches of at most `size`, progress after each, abort between them. */
import { describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/errors.js';
import { generateInBatches, networkBatch } from '../../src/generate/index.js';

describe('networkBatch', () => {
  it('takes the request, else the model\'s default, never more than the model\'s memory allows', () => {
    expect(networkBatch(undefined, 16, 256)).toBe(16);
    expect(networkBatch(100, 16, 256)).toBe(100);
    expect(networkBatch(10_000, 16, 256)).toBe(256);
    expect(networkBatch(10_000, 4096)).toBe(10_000);
    expect(networkBatch(0.5, 16)).toBe(1);
  });
});

describe('generateInBatches', () => {
  it('runs [start, end) batches of at most `size` rows and gathers their showers in order', async () => {
    const energy = Float32Array.from({ length: 10 }, (_, i) => i + 1);
    const calls: [number, number][] = [];
    const done: number[] = [];
    const s = await generateInBatches({ energy }, 2, 4, async (a, b) => {
      calls.push([a, b]);
      return Float32Array.from({ length: 2 * (b - a) }, (_, j) => 10 * energy[a + (j >> 1)]! + (j & 1));
    }, { onProgress: (e) => done.push(e.done) });
    expect(calls).toEqual([[0, 4], [4, 8], [8, 10]]);
    expect(done).toEqual([4, 8, 10]);
    expect(s).toMatchObject({ n: 10, voxels: 2 });
    expect(Array.from(s.values.subarray(0, 6))).toEqual([10, 11, 20, 21, 30, 31]);
    expect(Array.from(s.energy)).toEqual(Array.from(energy));
  });

  it('stops between batches when the signal is aborted', async () => {
    const ac = new AbortController();
    const run = generateInBatches({ energy: new Float32Array(9).fill(1) }, 1, 3, (a, b) => {
      if (a === 3) ac.abort();
      return new Float32Array(b - a);
    }, { signal: ac.signal }, 'toy.generate');
    await expect(run).rejects.toThrow(AbortedError);
    await expect(run).rejects.toThrow(/toy\.generate: aborted after 6 of 9 showers/);
  });
});
