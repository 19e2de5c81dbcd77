import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openShowerFile, writeShowerFile } from '../../src/io/index.js';
import { rowShowers, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
beforeAll(async () => {
  await h5wasm.ready;
});

describe('writeShowerFile + openShowerFile', () => {
  it('round-trips showers, energies, angles and attributes exactly', async () => {
    const s = rowShowers(37, 368, 0, true);
    const p = tmp.path('rt.h5');
    await writeShowerFile(p, s, {
      geometry: { id: 'calochallenge-1-photons', voxels: 368 },
      generator: 'unit-test',
      seed: 2 ** 40 + 3,
      attributes: { note: 'hello', ints: [1, 2, 3] },
      chunkRows: 8,
    });
    const f = await openShowerFile(p, { geometry: { id: 'calochallenge-1-photons', voxels: 368 } });
    expect([f.n, f.voxels, f.dtype, f.chunkRows]).toEqual([37, 368, 'float32', 8]);
    expect(f.conditions).toEqual(['theta', 'phi']);
    expect(f.attributes.geometry).toBe('calochallenge-1-photons');
    expect(f.attributes.generator).toBe('unit-test');
    expect(f.attributes.seed).toBe(2 ** 40 + 3);
    expect(f.attributes.note).toBe('hello');
    expect(f.attributes.ints).toEqual([1, 2, 3]);
    expect(typeof f.attributes.calozoo_version).toBe('string');
    const all = f.readRange(0, 37);
    expect(all.values).toEqual(s.values);
    expect(all.energy).toEqual(s.energy);
    expect(all.theta).toEqual(s.theta);
    expect(all.phi).toEqual(s.phi);
    const part = f.readRange(5, 19);
    expect(part.n).toBe(14);
    expect(part.values).toEqual(s.values.subarray(5 * 368, 19 * 368));
    expect(part.energy).toEqual(s.energy.subarray(5, 19));
    expect(f.readRange(10, 10).n).toBe(0);
    const buf = { n: 20, voxels: 368, energy: new Float32Array(20), values: new Float32Array(20 * 368), theta: new Float32Array(20), phi: new Float32Array(20) };
    const into = f.readRange(30, 37, buf);
    expect(into.values.buffer).toBe(buf.values.buffer);
    expect(into.values).toEqual(s.values.subarray(30 * 368, 37 * 368));
    expect(into.phi).toEqual(s.phi?.subarray(30, 37));
    expect(() => f.readRange(0, 21, buf)).toThrow(/too small/);
    expect(() => f.readRange(30, 38)).toThrow(/outside/);
    f.close();
    expect(() => f.readRange(0, 1)).toThrow(/after close/);
  });

  it('writes CaloChallenge layout: (N,1) energies, (N,V) showers, gzip level 4 by default', async () => {
    const p = tmp.path('layout.h5');
    await writeShowerFile(p, rowShowers(10, 533));
    const raw = new h5wasm.File(p, 'r');
    const e = raw.get('incident_energies') as InstanceType<typeof h5wasm.Dataset>;
    const sh = raw.get('showers') as InstanceType<typeof h5wasm.Dataset>;
    expect(e.shape).toEqual([10, 1]);
    expect(sh.shape).toEqual([10, 533]);
    expect(sh.dtype).toBe('<f');
    expect(sh.filters).toEqual([{ id: 1, name: 'deflate', cd_values: [4] }]);
    expect(raw.keys().sort()).toEqual(['incident_energies', 'showers']);
    raw.close();
    const p0 = tmp.path('layout0.h5');
    await writeShowerFile(p0, rowShowers(10, 533), { compression: 0, dtype: 'float64' });
    const raw0 = new h5wasm.File(p0, 'r');
    const sh0 = raw0.get('showers') as InstanceType<typeof h5wasm.Dataset>;
    expect(sh0.filters).toEqual([]);
    expect(sh0.dtype).toBe('<d');
    raw0.close();
  });

  it('reads h5py-style files: float64, contiguous, energies of shape (N) and (N,1)', async () => {
    const s = rowShowers(12, 368);
    for (const energyShape of [[12, 1], [12]]) {
      const p = tmp.path(`h5py-${energyShape.length}.h5`);
      const raw = new h5wasm.File(p, 'w');
      raw.create_dataset({ name: 'incident_energies', data: Float64Array.from(s.energy), shape: energyShape, dtype: '<d' });
      raw.create_dataset({ name: 'showers', data: Float64Array.from(s.values), shape: [12, 368], dtype: '<d' });
      raw.close();
      const f = await openShowerFile(p);
      expect(f.dtype).toBe('float64');
      expect(f.chunkRows).toBeNull();
      const r = f.readRange(3, 9);
      expect(r.values).toBeInstanceOf(Float32Array);
      expect(r.values).toEqual(s.values.subarray(3 * 368, 9 * 368));
      expect(r.energy).toEqual(s.energy.subarray(3, 9));
      f.close();
    }
  });
});
