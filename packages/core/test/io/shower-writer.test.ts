import { existsSync, readdirSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createShowerWriter, openShowerFile, ShowerFileError } from '../../src/io/index.js';
import { sliceShowers } from '../../src/showers.js';
import { rowShowers, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const names = (prefix: string): string[] => readdirSync(tmp.dir).filter((f) => f.startsWith(prefix)).sort();

describe('createShowerWriter', () => {
  it('streams uneven appends into the same file as one write, via a temporary sibling', async () => {
    const V = 533;
    const all = rowShowers(101, V, 0, true);
    const p = tmp.path('stream.h5');
    const w = await createShowerWriter(p, { voxels: V, chunkRows: 7, compression: 1, generator: 'g', seed: 9 });
    let at = 0;
    for (const k of [1, 3, 7, 20, 6, 1, 0, 50, 13]) {
      w.append(sliceShowers(all, at, at + k));
      at += k;
      expect(w.written).toBe(at);
      expect(existsSync(p)).toBe(false);
      expect(names('stream.h5.tmp-')).toHaveLength(1);
      expect(names('stream.h5.tmp-')[0]).toMatch(new RegExp(`^stream\\.h5\\.tmp-${process.pid}-[0-9a-f]{8}$`));
    }
    expect(at).toBe(101);
    await w.close();
    expect(names('stream.h5')).toEqual(['stream.h5']);
    const f = await openShowerFile(p);
    expect([f.n, f.chunkRows, f.attributes.seed, f.attributes.generator]).toEqual([101, 7, 9, 'g']);
    const r = f.readRange(0, 101);
    expect(r.values).toEqual(all.values);
    expect(r.energy).toEqual(all.energy);
    expect(r.theta).toEqual(all.theta);
    expect(r.phi).toEqual(all.phi);
    f.close();
    await w.close();
    expect(() => w.append(rowShowers(1, V))).toThrow(/after close/);
  });

  it('abort() deletes the temporary file and leaves nothing under the final name', async () => {
    const p = tmp.path('aborted.h5');
    const w = await createShowerWriter(p, { voxels: 10 });
    w.append(rowShowers(30, 10));
    expect(names('aborted.h5')).toHaveLength(1);
    await w.abort();
    await w.abort();
    expect(names('aborted.h5')).toEqual([]);
    await expect(w.close()).rejects.toThrow(/after abort/);
  });

  it('a declared n that is not reached fails on close and leaves no file', async () => {
    const p = tmp.path('short.h5');
    const w = await createShowerWriter(p, { voxels: 10, n: 50 });
    w.append(rowShowers(20, 10));
    await expect(w.close()).rejects.toThrow(/after 20 showers, but n = 50 were declared/);
    expect(names('short.h5')).toEqual([]);
    const w2 = await createShowerWriter(tmp.path('over.h5'), { voxels: 10, n: 5 });
    expect(() => w2.append(rowShowers(6, 10))).toThrow(/exceed the declared n = 5/);
    await w2.abort();
    const w3 = await createShowerWriter(tmp.path('none.h5'), { voxels: 10 });
    await expect(w3.close()).rejects.toThrow(/needs at least one/);
    expect(names('none.h5')).toEqual([]);
  });

  it('rejects showers that do not fit the file, without breaking the writer', async () => {
    const p = tmp.path('fit.h5');
    const w = await createShowerWriter(p, { geometry: { id: 'calochallenge-1-photons', voxels: 368 } });
    expect(() => w.append(rowShowers(2, 533))).toThrow(/533 voxels, the file 368/);
    w.append(rowShowers(2, 368));
    expect(() => w.append(rowShowers(2, 368, 2, true))).toThrow(/"theta" is present, but the file does not store it/);
    await w.close();
    const f = await openShowerFile(p);
    expect(f.attributes.geometry).toBe('calochallenge-1-photons');
    expect(f.n).toBe(2);
    f.close();
    await expect(createShowerWriter(p, { voxels: 10, compression: 11 })).rejects.toThrow(/gzip level 0–9/);
    await expect(createShowerWriter(p, {})).rejects.toThrow(/pass voxels or geometry/);
  });

  it('takes a geometry id or alias as well as a geometry object', async () => {
    const p = tmp.path('alias.h5');
    const w = await createShowerWriter(p, { geometry: 'ds1-photons' });
    w.append(rowShowers(3, 368));
    await w.close();
    const f = await openShowerFile(p);
    expect([f.attributes.geometry, f.voxels, f.n]).toEqual(['calochallenge-1-photons', 368, 3]);
    f.close();
    await expect(createShowerWriter(tmp.path('bad.h5'), { geometry: 'ds1-photons', voxels: 533 })).rejects.toThrow(/voxels 533 contradicts geometry "calochallenge-1-photons" \(368 voxels\)/);
    await expect(createShowerWriter(tmp.path('bad.h5'), { geometry: 'no-such-geometry' })).rejects.toThrow(/no-such-geometry/);
  });

  it('a write into a missing directory fails with a write-failed error and no file', async () => {
    const p = tmp.path('no-such-dir/x.h5');
    const err = await createShowerWriter(p, { voxels: 10 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ShowerFileError);
    expect((err as ShowerFileError).problem).toBe('write-failed');
    expect((err as Error).message).toContain(p);
  });
});
