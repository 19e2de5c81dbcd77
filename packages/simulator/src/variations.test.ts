/**
 * Each named variation moves the observable it is about, in the direction it says, against the
 * nominal detector (same seed and energies): depth → longitudinal centre of gravity, width → the
 * hottest cell's share, sampling → response spread, MIPs → the small-cell energy spectrum, noise →
 * hit count, upstream material → response at low energy, profile family → longitudinal spread,
 * spectrum → the incident energies.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { getGeometry, layerSlices, openShowerFile, type Showers } from '@calozoo/core';
import { describe, expect, it } from 'vitest';
import { simulateShowers } from './simulate.js';
import { simulateToFile } from './simulate-to-file.js';
import { SIMULATOR_VARIATIONS, getVariation } from './variations.js';

const g = getGeometry('ds1-photons');
const slices = layerSlices(g);

/** Shower-averaged observables of a sample. */
function observe(s: Showers): { centroid: number; depthWidth: number; response: number; spread: number; maxShare: number; hits: number; smallMedian: number } {
  const V = s.voxels;
  let centroid = 0;
  let depthWidth = 0;
  let maxShare = 0;
  let hits = 0;
  const response: number[] = [];
  const small: number[] = [];
  for (let i = 0; i < s.n; i++) {
    let total = 0;
    let moment = 0;
    let moment2 = 0;
    let hottest = 0;
    slices.forEach((l, k) => {
      let e = 0;
      for (let v = l.start; v < l.end; v++) {
        const x = s.values[i * V + v]!;
        e += x;
        if (x > hottest) hottest = x;
        if (x > 0) hits++;
        if (x > 0 && x < 12) small.push(x);
      }
      total += e;
      moment += k * e;
      moment2 += k * k * e;
    });
    centroid += moment / total;
    depthWidth += Math.sqrt(Math.max(0, moment2 / total - (moment / total) ** 2));
    maxShare += hottest / total;
    response.push(total / s.energy[i]!);
  }
  const mean = response.reduce((a, b) => a + b, 0) / response.length;
  const spread = Math.sqrt(response.reduce((a, b) => a + (b - mean) ** 2, 0) / response.length);
  small.sort((a, b) => a - b);
  return { centroid: centroid / s.n, depthWidth: depthWidth / s.n, response: mean, spread, maxShare: maxShare / s.n, hits: hits / s.n, smallMedian: small[small.length >> 1]! };
}

const at = (energy: number, variation?: string) => observe(simulateShowers(g, { n: 300, seed: 1, energies: new Float32Array(300).fill(energy), ...(variation ? { variation } : {}) }));

describe('simulator variations', () => {
  const high = at(65_536);
  const low = at(1024);

  it('lists five tuning and six held-back variations, each documented; nominal is the plain simulator', () => {
    expect(SIMULATOR_VARIATIONS.filter((v) => v.role === 'tuning').map((v) => v.name)).toEqual(['nominal', 'deep', 'narrow', 'coarse-sampling', 'small-mips']);
    expect(SIMULATOR_VARIATIONS.filter((v) => v.role === 'held-back').map((v) => v.name)).toEqual(['shallow-wide', 'noisy', 'upstream-material', 'stretched-profile', 'big-mips', 'log-uniform-energies']);
    for (const v of SIMULATOR_VARIATIONS) expect(v.description.length).toBeGreaterThan(20);
    const plain = simulateShowers(g, { n: 50, seed: 3 });
    expect(simulateShowers(g, { n: 50, seed: 3, variation: 'nominal' })).toEqual(plain);
    expect(() => getVariation('martian')).toThrow(/unknown simulator variation "martian"; known: nominal, deep/);
  });

  it('depth: deep showers sit later, shallow-wide and upstream-material ones earlier', () => {
    expect(at(65_536, 'deep').centroid).toBeGreaterThan(high.centroid + 0.05);
    expect(at(65_536, 'shallow-wide').centroid).toBeLessThan(high.centroid - 0.05);
    expect(at(65_536, 'upstream-material').centroid).toBeLessThan(high.centroid - 0.05);
  });

  it('shape family: the generalised-gamma profile spreads the energy over more layers', () => {
    expect(at(65_536, 'stretched-profile').depthWidth).toBeGreaterThan(high.depthWidth * 1.25);
  });

  it('width: narrow showers put a larger share in their hottest cells, shallow-wide ones a smaller', () => {
    expect(at(65_536, 'narrow').maxShare).toBeGreaterThan(high.maxShare * 1.08);
    expect(at(65_536, 'shallow-wide').maxShare).toBeLessThan(high.maxShare * 0.85);
  });

  it('sampling: coarse sampling widens the response, dead material in front lowers it', () => {
    expect(at(65_536, 'coarse-sampling').spread).toBeGreaterThan(high.spread * 1.15);
    expect(at(1024, 'coarse-sampling').spread).toBeGreaterThan(low.spread * 1.3);
    expect(at(1024, 'upstream-material').response).toBeLessThan(low.response - 0.04);
  });

  it('MIPs and noise: small-mips shift the small-cell spectrum down, big-mips up; noise adds hits', () => {
    expect(at(1024, 'small-mips').smallMedian).toBeLessThan(low.smallMedian * 0.9);
    expect(at(1024, 'big-mips').smallMedian).toBeGreaterThan(low.smallMedian * 1.15);
    expect(at(1024, 'noisy').hits).toBeGreaterThan(low.hits * 1.3);
  });

  it('spectrum: log-uniform-energies draws continuous energies over the dataset-1 range; a file records its variation', async () => {
    const s = simulateShowers(g, { n: 400, seed: 2, variation: 'log-uniform-energies' });
    const powersOfTwo = Array.from(s.energy).filter((e) => Number.isInteger(Math.log2(e))).length;
    expect(powersOfTwo).toBeLessThan(5);
    expect(Math.min(...s.energy)).toBeGreaterThanOrEqual(256);
    expect(Math.max(...s.energy)).toBeLessThanOrEqual(4_194_304);
    const logs = Array.from(s.energy, (e) => Math.log(e));
    const mid = (Math.log(256) + Math.log(4_194_304)) / 2;
    expect(Math.abs(logs.reduce((a, b) => a + b, 0) / logs.length - mid)).toBeLessThan(0.6);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'calozoo-variation-')), 'noisy.h5');
    await simulateToFile(file, g, { n: 20, seed: 4, variation: 'noisy' });
    const f = await openShowerFile(file);
    expect(f.attributes.variation).toBe('noisy');
    expect(f.readRange(0, 20).values).toEqual(simulateShowers(g, { n: 20, seed: 4, variation: 'noisy' }).values);
    f.close();
    await expect(simulateToFile(`${file}.2`, g, { n: 5, seed: 1, variation: 'nope' })).rejects.toThrow(/unknown simulator variation "nope"/);
  });
});
