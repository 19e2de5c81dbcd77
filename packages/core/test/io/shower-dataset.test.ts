import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError } from '../../src/errors.js';
import { ShowerDataset, ShowerFileError, writeShowerFile, type ShowerBatch } from '../../src/io/index.js';
import { Rng } from '../../src/rng.js';
import { rowOf, rowShowers, tempDir } from './helpers.js';

const tmp = tempDir();
const V = 50;
const N1 = 230;
const N2 = 171;
let a = '';
let b = '';
beforeAll(async () => {
  a = tmp.path('part1.h5');
  b = tmp.path('part2.h5');
  // rows of the second file continue the numbering, so a concatenated row i decodes to i
  await writeShowerFile(a, rowShowers(N1, V, 0, true), { chunkRows: 16 });
  await writeShowerFile(b, rowShowers(N2, V, N1, true), { chunkRows: 9 });
});
afterAll(() => tmp.cleanup());

async function collect(it: AsyncIterable<ShowerBatch>): Promise<ShowerBatch[]> {
  const out: ShowerBatch[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Every shower of a batch is the row its index names (values, energy, angles). */
function expectConsistent(batch: ShowerBatch): void {
  for (let i = 0; i < batch.n; i++) {
    const r = batch.indices[i];
    expect(rowOf(batch.values, V, i)).toBe(r);
    expect(batch.values[i * V + V - 1]).toBe(r * 1000 + V - 1 + 0.25);
    expect(batch.energy[i]).toBe(1000 + r);
    expect(batch.theta?.[i]).toBe(Math.fround(0.5 + r / 1024));
    expect(batch.phi?.[i]).toBe(Math.fround(-r / 1024));
  }
}

describe('ShowerDataset', () => {
  it('concatenates files and streams them in order without shuffle', async () => {
    const ds = await ShowerDataset.open([a, b], { blockBytes: 40 * V * 4 });
    expect([ds.n, ds.voxels, ds.conditions]).toEqual([N1 + N2, V, ['theta', 'phi']]);
    const batches = await collect(ds.batches(32));
    expect(batches.map((x) => x.n)).toEqual([...Array(12).fill(32), (N1 + N2) % 32]);
    const idx = batches.flatMap((x) => [...x.indices]);
    expect(idx).toEqual(Array.from({ length: N1 + N2 }, (_, i) => i));
    batches.forEach(expectConsistent);
    expect((await collect(ds.batches(32, { dropLast: true }))).length).toBe(12);
    const all = ds.readAll();
    expect(all.n).toBe(N1 + N2);
    expect(rowOf(all.values, V, N1 + 5)).toBe(N1 + 5);
    expect(() => ds.readAll({ maxBytes: 1000 })).toThrow(/stream with batches/);
    ds.close();
  });

  it('seeded shuffle: a permutation of all rows, reproducible, and mixing blocks', async () => {
    const ds = await ShowerDataset.open([a, b], { blockBytes: 16 * V * 4, shuffleBufferBytes: 64 * V * 4 });
    const run = async (seed: number): Promise<number[]> => {
      const bs = await collect(ds.batches(25, { shuffle: true, rng: new Rng(seed) }));
      bs.forEach(expectConsistent);
      return bs.flatMap((x) => [...x.indices]);
    };
    const x = await run(7);
    expect([...x].sort((p, q) => p - q)).toEqual(Array.from({ length: N1 + N2 }, (_, i) => i));
    expect(await run(7)).toEqual(x);
    const y = await run(8);
    expect(y).not.toEqual(x);
    // rows are spread: the first batch draws from several blocks, and is not sorted
    const first = x.slice(0, 25);
    expect(new Set(first.map((r) => Math.floor(r / 16))).size).toBeGreaterThan(2);
    expect(first).not.toEqual([...first].sort((p, q) => p - q));
    // same result with { seed } as with { rng: new Rng(seed) }
    const z = (await collect(ds.batches(25, { shuffle: true, seed: 7 }))).flatMap((q) => [...q.indices]);
    expect(z).toEqual(x);
    await expect(collect(ds.batches(25, { shuffle: true }))).rejects.toThrow(/explicit rng or seed/);
    ds.close();
  });

  it('reuse: the same batches as fresh copies, gathered into three shared buffers (carry included)', async () => {
    const ds = await ShowerDataset.open([a, b], { blockBytes: 16 * V * 4, shuffleBufferBytes: 64 * V * 4 });
    for (const shuffle of [false, true]) {
      const opts = { shuffle, seed: 5 };
      // 27 rows per batch: every group of blocks leaves a remainder that is carried into the next
      const fresh = await collect(ds.batches(27, opts));
      const seen: number[][] = [];
      const buffers = new Set<ArrayBufferLike>();
      for await (const x of ds.batches(27, { ...opts, reuse: true })) {
        expectConsistent(x);
        seen.push([...x.indices]);
        buffers.add(x.values.buffer);
      }
      expect(seen).toEqual(fresh.map((x) => [...x.indices]));
      expect(new Set(fresh.map((x) => x.values.buffer)).size).toBe(fresh.length);
      expect(buffers.size).toBeLessThanOrEqual(3);
    }
    ds.close();
  });

  it('split: disjoint, complete, sized by the fraction, reproducible; batches stay inside each part', async () => {
    const ds = await ShowerDataset.open([a, b]);
    const { train, validation } = ds.split({ validationFraction: 0.2, seed: 11 });
    const n = N1 + N2;
    expect(validation.n).toBe(Math.round(n * 0.2));
    expect(train.n + validation.n).toBe(n);
    const t = [...train.indices()];
    const v = [...validation.indices()];
    const union = new Set([...t, ...v]);
    expect(union.size).toBe(n);
    const again = ds.split({ validationFraction: 0.2, seed: 11 });
    expect([...again.validation.indices()]).toEqual(v);
    expect([...ds.split({ validationFraction: 0.2, seed: 12 }).validation.indices()]).not.toEqual(v);
    // validation rows are drawn from the whole range, not a tail block
    expect(Math.min(...v)).toBeLessThan(n / 4);
    expect(Math.max(...v)).toBeGreaterThan((3 * n) / 4);
    const vb = await collect(validation.batches(10, { shuffle: true, seed: 3 }));
    vb.forEach(expectConsistent);
    expect(vb.flatMap((x) => [...x.indices]).sort((p, q) => p - q)).toEqual(v);
    const tb = await collect(train.batches(64));
    tb.forEach(expectConsistent);
    expect(tb.flatMap((x) => [...x.indices])).toEqual(t);
    const small = validation.readAll();
    expect([...small.indices]).toEqual(v);
    expect(() => ds.split({ validationFraction: 0, seed: 1 })).toThrow(/fraction in \(0, 1\)/);
    const sub = ds.subset([5, 3, N1 + 2]);
    expect([...sub.readAll().indices]).toEqual([3, 5, N1 + 2]);
    expect(() => ds.subset([N1 + N2])).toThrow(/outside/);
    ds.close();
  });

  it('refuses to concatenate files of different widths', async () => {
    const c = tmp.path('other.h5');
    await writeShowerFile(c, rowShowers(5, V + 1, 0, true));
    const err = await ShowerDataset.open([a, c]).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ShowerFileError);
    expect((err as ShowerFileError).problem).toBe('incompatible-files');
    expect((err as Error).message).toMatch(/other\.h5: cannot be concatenated with .*part1\.h5/);
  });

  it('stops with AbortedError when the signal fires', async () => {
    const ds = await ShowerDataset.open(a, { blockBytes: 16 * V * 4 });
    const ctl = new AbortController();
    let seen = 0;
    const run = async (): Promise<void> => {
      for await (const x of ds.batches(16, { signal: ctl.signal })) {
        seen += x.n;
        if (seen >= 48) ctl.abort();
      }
    };
    await expect(run()).rejects.toBeInstanceOf(AbortedError);
    expect(seen).toBe(48);
    ds.close();
  });
});
