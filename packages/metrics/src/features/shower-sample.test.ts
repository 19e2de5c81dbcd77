import { describe, expect, it } from 'vitest';
import { getGeometry, sliceShowers } from '@calozoo/core';
import { ShowerSampler } from './shower-sample.js';
import { toyShowers } from '../../test/toy-showers.js';

describe('ShowerSampler (reservoir sampling)', () => {
  const g = getGeometry('ds1-photons');
  const s = toyShowers(g, { n: 200, seed: 4 });

  it('keeps the same seeded choice whatever the chunking, thresholded, with index and energy', () => {
    const whole = new ShowerSampler(3, 7, 1);
    whole.consume(s);
    const chunked = new ShowerSampler(3, 7, 1);
    for (let i = 0; i < s.n; i += 17) chunked.consume(sliceShowers(s, i, Math.min(s.n, i + 17)));
    const a = whole.finish();
    expect(chunked.finish()).toEqual(a);
    expect(a).toHaveLength(3);
    expect(a.map((x) => x.index)).toEqual([...a.map((x) => x.index)].sort((x, y) => x - y));
    for (const x of a) {
      expect(x.energy).toBe(s.energy[x.index]);
      x.values.forEach((v, i) => expect(v).toBe(s.values[x.index * g.voxels + i] >= 1 ? s.values[x.index * g.voxels + i] : 0));
    }
    const other = new ShowerSampler(3, 8, 1);
    other.consume(s);
    expect(other.finish().map((x) => x.index)).not.toEqual(a.map((x) => x.index));
  });

  it('chooses uniformly: every row is kept about equally often over many seeds', () => {
    const n = 10;
    const small = sliceShowers(s, 0, n);
    const hits = new Array<number>(n).fill(0);
    for (let seed = 0; seed < 3000; seed++) {
      const r = new ShowerSampler(2, seed);
      r.consume(small);
      for (const x of r.finish()) hits[x.index]++;
    }
    // expectation 3000 · 2/10 = 600 per row; binomial σ ≈ 22
    for (const h of hits) expect(Math.abs(h - 600)).toBeLessThan(110);
  });

  it('keeps everything when the stream is shorter than the reservoir', () => {
    const r = new ShowerSampler(5, 1);
    r.consume(sliceShowers(s, 0, 2));
    expect(r.finish().map((x) => x.index)).toEqual([0, 1]);
  });
});
