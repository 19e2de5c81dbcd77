import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openShowerFile } from '@calozoo/core';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateShowers, simulateToFile } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'calozoo-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('simulateToFile', () => {
  it('writes the same showers as simulateShowers, for any chunk size, with provenance attributes', async () => {
    const a = join(dir, 'a.h5');
    const b = join(dir, 'b.h5');
    const progress: number[] = [];
    await simulateToFile(a, 'ds1-photons', { n: 25, seed: 5, chunk: 7, onProgress: (d) => progress.push(d) });
    await simulateToFile(b, 'ds1-photons', { n: 25, seed: 5, chunk: 25 });
    expect(progress).toEqual([7, 14, 21, 25]);
    const ref = simulateShowers('ds1-photons', { n: 25, seed: 5 });
    for (const p of [a, b]) {
      const f = await openShowerFile(p);
      expect(f.n).toBe(25);
      const s = f.readRange(0, 25);
      expect(s.values).toEqual(ref.values);
      expect(s.energy).toEqual(ref.energy);
      expect(f.attributes.geometry).toBe('calochallenge-1-photons');
      expect(f.attributes.generator).toBe('calozoo-simulator');
      expect(Number(f.attributes.seed)).toBe(5);
      expect(typeof f.attributes.generator_version).toBe('string');
      f.close();
    }
  });

  it('stores theta for the angular grid', async () => {
    const p = join(dir, 'ang.h5');
    await simulateToFile(p, 'ild-ecal-angular', { n: 3, seed: 1, chunk: 2 });
    const f = await openShowerFile(p);
    const s = f.readRange(0, 3);
    expect(s.theta).toEqual(simulateShowers('ild-ecal-angular', { n: 3, seed: 1 }).theta);
    f.close();
  });

  it('an aborted run leaves no file behind', async () => {
    const p = join(dir, 'aborted.h5');
    const ctl = new AbortController();
    const run = simulateToFile(p, 'ds2', { n: 10, seed: 1, chunk: 2, onProgress: () => ctl.abort(), signal: ctl.signal });
    await expect(run).rejects.toThrow(/aborted after 2 of 10/);
    expect(readdirSync(dir).filter((f) => f.startsWith('aborted'))).toEqual([]);
  });
});
