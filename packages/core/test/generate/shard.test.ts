import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AbortedError, DataFormatError, InvalidArgumentError } from '../../src/errors.js';
import { mergeShowerFiles, openShowerFile, writeShowerFile } from '../../src/io/index.js';
import { ATTR_SHARD, parseShard, shardRange } from '../../src/generate/index.js';
import type { Showers } from '../../src/showers.js';

const dir = mkdtempSync(join(tmpdir(), 'calozoo-shard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('shardRange / parseShard', () => {
  it('cuts [0, n) into N disjoint ordered ranges that cover it, sizes within one', () => {
    for (const n of [0, 1, 7, 100, 10_001]) {
      for (const N of [1, 2, 3, 8, 13]) {
        let next = 0;
        const sizes: number[] = [];
        for (let k = 1; k <= N; k++) {
          const [a, b] = shardRange(n, k, N);
          expect(a).toBe(next);
          expect(b).toBeGreaterThanOrEqual(a);
          sizes.push(b - a);
          next = b;
        }
        expect(next).toBe(n);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }
    }
    expect(shardRange(2 ** 52, 3, 4)).toEqual([2 ** 51, 3 * 2 ** 50]);
  });

  it('rejects shard indices outside 1…N and malformed specs', () => {
    expect(() => shardRange(10, 0, 4)).toThrow(/1-based/);
    expect(() => shardRange(10, 5, 4)).toThrow(InvalidArgumentError);
    expect(() => shardRange(-1, 1, 4)).toThrow(InvalidArgumentError);
    expect(parseShard(' 3/8 ')).toEqual({ index: 3, count: 8 });
    expect(() => parseShard('0/8')).toThrow(/k\/N/);
    expect(() => parseShard('9/8')).toThrow(InvalidArgumentError);
    expect(() => parseShard('3-8')).toThrow(InvalidArgumentError);
  });
});

function showers(start: number, n: number, voxels: number, theta: boolean): Showers {
  const s: Showers = {
    n,
    voxels,
    energy: Float32Array.from({ length: n }, (_, i) => 1000 + start + i),
    values: Float32Array.from({ length: n * voxels }, (_, i) => start * voxels + i),
  };
  if (theta) s.theta = Float32Array.from({ length: n }, (_, i) => 0.01 * (start + i));
  return s;
}

async function writeShards(name: string, n: number, N: number, voxels: number, extra: (k: number) => Record<string, string | number> = () => ({})) {
  const paths: string[] = [];
  for (let k = 1; k <= N; k++) {
    const [a, b] = shardRange(n, k, N);
    const p = join(dir, `${name}-${k}.h5`);
    await writeShowerFile(p, showers(a, b - a, voxels, true), {
      geometry: { id: 'test-grid', voxels },
      generator: 'wgan-gp',
      seed: 42,
      chunkRows: 3,
      attributes: { [ATTR_SHARD]: `${k}/${N}`, ...extra(k) },
    });
    paths.push(p);
  }
  return paths;
}

describe('mergeShowerFiles', () => {
  it('joins shards (given in any order) into one file equal to the unsharded run', async () => {
    const n = 23, voxels = 5;
    const paths = await writeShards('ok', n, 4, voxels, (k) => ({ note: 'x', [`only_${k}`]: k }));
    const out = join(dir, 'merged.h5');
    const progress: number[] = [];
    const res = await mergeShowerFiles([paths[2]!, paths[0]!, paths[3]!, paths[1]!], out, { chunkRows: 4, onProgress: (d) => progress.push(d) });
    expect(res).toMatchObject({ n, voxels, inputs: paths });
    expect(progress[progress.length - 1]).toBe(n);
    const f = await openShowerFile(out, { geometry: { id: 'test-grid', voxels } });
    const all = f.readRange(0, n);
    const want = showers(0, n, voxels, true);
    expect([...all.values]).toEqual([...want.values]);
    expect([...all.energy]).toEqual([...want.energy]);
    expect([...all.theta!]).toEqual([...want.theta!]);
    expect(f.attributes).toMatchObject({ geometry: 'test-grid', generator: 'wgan-gp', seed: 42, merged_from: 4, note: 'x' });
    expect(f.attributes[ATTR_SHARD]).toBeUndefined();
    f.close();
  });

  it('stops between chunks when its signal fires (a Ctrl-C handler gets to run), leaving no output', async () => {
    const paths = await writeShards('abort', 23, 4, 5);
    const out = join(dir, 'aborted.h5');
    const controller = new AbortController();
    const progress: number[] = [];
    // The signal fires from a timer, as a SIGINT handler would: the merge must yield to let it run.
    const merge = mergeShowerFiles(paths, out, {
      chunkRows: 2,
      signal: controller.signal,
      onProgress: (d) => {
        progress.push(d);
        if (progress.length === 3) setImmediate(() => controller.abort());
      },
    });
    await expect(merge).rejects.toBeInstanceOf(AbortedError);
    expect(progress.length).toBeLessThan(6);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('aborted'))).toEqual([]);
  });

  it('refuses incomplete shard sets and disagreeing geometry, leaving no output', async () => {
    const paths = await writeShards('bad', 10, 3, 4);
    const out = join(dir, 'never.h5');
    await expect(mergeShowerFiles(paths.slice(0, 2), out)).rejects.toThrow(/shards 1…N/);
    const other = join(dir, 'other.h5');
    await writeShowerFile(other, showers(0, 2, 6, true), { geometry: { id: 'test-grid', voxels: 6 }, generator: 'wgan-gp' });
    const plain = join(dir, 'plain.h5');
    await writeShowerFile(plain, showers(0, 2, 4, true), { geometry: { id: 'other-grid', voxels: 4 }, generator: 'wgan-gp' });
    await expect(mergeShowerFiles([plain, other], out)).rejects.toBeInstanceOf(DataFormatError);
    const plain2 = join(dir, 'plain2.h5');
    await writeShowerFile(plain2, showers(0, 2, 4, true), { geometry: { id: 'test-grid', voxels: 4 }, generator: 'wgan-gp' });
    await expect(mergeShowerFiles([plain, plain2], out)).rejects.toThrow(/"geometry" attribute test-grid but .* has other-grid/);
    await expect(mergeShowerFiles([plain], plain)).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.includes('tmp'))).toEqual([]);
  });
});
