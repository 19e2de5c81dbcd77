/**
 * Statistical behaviour of FPD and KPD on toy showers (field-reference §2.5): the same setting
 * with independent seeds is consistent with zero, shifted settings are clearly positive and grow
 * with the shift.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { getGeometry } from '@calozoo/core';
import { FeatureExtractor, clsHighFeatures, fpd, kpd, normaliseByReference } from '../src/index.js';
import { toyShowers } from './toy-showers.js';

const g = getGeometry('ds1-photons');
const N = 5000;
const features = (seed: number, shift: number) => {
  const ex = new FeatureExtractor(g);
  ex.consume(toyShowers(g, { n: N, seed, shift }));
  return clsHighFeatures(ex.finish());
};

describe('FPD and KPD on toy showers', () => {
  const ref = features(1, 0);
  const results: { shift: number; fpd: Awaited<ReturnType<typeof fpd>>; kpd: Awaited<ReturnType<typeof kpd>> }[] = [];
  beforeAll(async () => {
    for (const shift of [0, 0.5, 1, 2]) {
      const [a, b] = normaliseByReference(ref, features(100 + shift * 10, shift));
      results.push({ shift, fpd: await fpd(a, b, { repetitions: 10 }), kpd: await kpd(a, b, { batchSize: 1500 }) });
    }
    for (const r of results) console.log(`shift ${r.shift}: FPD×1e3 ${(r.fpd.value * 1e3).toFixed(4)} ± ${(r.fpd.error * 1e3).toFixed(4)}, KPD×1e3 ${(r.kpd.value * 1e3).toFixed(5)} ± ${(r.kpd.error * 1e3).toFixed(5)}`);
  });

  it('same setting: FPD and KPD consistent with zero', () => {
    const same = results[0];
    expect(same.fpd.batchSizes[same.fpd.batchSizes.length - 1]).toBe(N);
    expect(same.fpd.value).toBeLessThanOrEqual(3 * same.fpd.error + 1e-4);
    expect(Math.abs(same.kpd.value)).toBeLessThanOrEqual(3 * same.kpd.error + 1e-5);
  });

  it('shifted settings: clearly positive and growing with the shift', () => {
    for (let i = 1; i < results.length; i++) {
      const r = results[i];
      expect(r.fpd.value, `FPD shift ${r.shift}`).toBeGreaterThan(5 * r.fpd.error);
      expect(r.kpd.value, `KPD shift ${r.shift}`).toBeGreaterThan(3 * r.kpd.error);
      expect(r.fpd.value).toBeGreaterThan(results[i - 1].fpd.value);
      expect(r.kpd.value).toBeGreaterThan(results[i - 1].kpd.value);
    }
  });
});
