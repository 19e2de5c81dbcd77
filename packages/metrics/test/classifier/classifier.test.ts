/**
 * Classifier two-sample test (field-reference.md §2.4): AUC and isotonic regression against
 * brute-force calculations, and end-to-end runs of the fast protocol on Gaussian feature sets.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng, selectTfBackend, tf } from '@calozoo/core';
import {
  accuracy,
  binaryCrossEntropy,
  classifierSettings,
  classifierTest,
  fitIsotonic,
  jsdFromBce,
  predictIsotonic,
  rocAuc,
  splitClass,
  officialSplitFractions,
  type ClassifierSample,
} from '../../src/classifier/index.js';

let backend = '';
beforeAll(async () => {
  backend = (await selectTfBackend()).chosen;
});

function gaussian(n: number, d: number, seed: number, shift = 0): ClassifierSample {
  const rng = new Rng(seed);
  const data = new Float32Array(n * d);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal() + shift;
  return { n, d, data };
}

describe('rocAuc', () => {
  it('equals the brute-force pair count, ties counted one half', () => {
    const rng = new Rng(3);
    const n = 60;
    const s = Array.from({ length: n }, () => Math.round(rng.normal() * 3) / 3); // many ties
    const y = Array.from({ length: n }, () => (rng.uniform() < 0.4 ? 1 : 0));
    let num = 0;
    let pairs = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (y[i] !== 1 || y[j] !== 0) continue;
        pairs++;
        num += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
    }
    expect(rocAuc(s, y)).toBeCloseTo(num / pairs, 12);
    expect(rocAuc([0.1, 0.2, 0.9], [0, 0, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
  });
});

describe('isotonic regression', () => {
  it('matches the max–min formula and pools equal x', () => {
    const rng = new Rng(5);
    const n = 40;
    const x = Array.from({ length: n }, () => Math.floor(rng.uniform() * 25) / 25); // repeated x
    const y = Array.from({ length: n }, (_, i) => (rng.uniform() < x[i] ? 1 : 0) + 0.1 * rng.normal());
    const m = fitIsotonic(x, y);
    // Brute force: pool equal x, then ŷ_i = max_{j≤i} min_{k≥i} mean(y_j..y_k) (weighted).
    const ux = [...new Set(x)].sort((a, b) => a - b);
    const sy = ux.map((v) => x.reduce((s, xi, i) => s + (xi === v ? y[i] : 0), 0));
    const w = ux.map((v) => x.filter((xi) => xi === v).length);
    const yhat = ux.map((_, i) => {
      let best = -Infinity;
      for (let j = 0; j <= i; j++) {
        let mn = Infinity;
        for (let k = i; k < ux.length; k++) {
          let a = 0, b = 0;
          for (let t = j; t <= k; t++) {
            a += sy[t];
            b += w[t];
          }
          mn = Math.min(mn, a / b);
        }
        best = Math.max(best, mn);
      }
      return best;
    });
    expect(Array.from(m.x)).toEqual(ux);
    Array.from(m.y).forEach((v, i) => expect(v).toBeCloseTo(yhat[i], 12));
    for (let i = 1; i < m.y.length; i++) expect(m.y[i]).toBeGreaterThanOrEqual(m.y[i - 1]);
  });

  it('interpolates linearly, clips x to the fitted range and y to [yMin, yMax]', () => {
    const m = fitIsotonic([0, 1, 2], [0, 0.5, 1], { yMin: 1e-6, yMax: 1 - 1e-6 });
    const p = predictIsotonic(m, [-1, 0, 0.5, 1.5, 3]);
    [1e-6, 1e-6, (1e-6 + 0.5) / 2, 0.75 - 0.5e-6, 1 - 1e-6].forEach((v, i) => expect(p[i]).toBeCloseTo(v, 14));
  });

  it('gives JSD = 0 for identical predictions of both classes', () => {
    const labels = Array.from({ length: 100 }, (_, i) => i % 2);
    const p = new Array(100).fill(0.73);
    const cal = predictIsotonic(fitIsotonic(p, labels, { yMin: 1e-6, yMax: 1 - 1e-6 }), p);
    expect(Array.from(new Set(cal))).toEqual([0.5]);
    expect(jsdFromBce(binaryCrossEntropy(cal, labels))).toBeCloseTo(0, 14);
    expect(accuracy([0.5, 0.51, 0.49], [1, 1, 0])).toBeCloseTo(2 / 3, 12);
  });
});

describe('split and settings', () => {
  it('splits each class in the official proportions', () => {
    const s = splitClass(121, officialSplitFractions('ds1-photons'), new Rng(1));
    expect([s.train.length, s.test.length, s.val.length]).toEqual([80, 20, 21]);
    const all = [...s.train, ...s.test, ...s.val].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 121 }, (_, i) => i));
    expect(classifierSettings({ protocol: 'fast' }).protocol).toBe('fast');
    expect(classifierSettings({ protocol: 'fast', epochs: 3 }).protocol).toBe('custom');
    expect(classifierSettings().settings).toMatchObject({ width: 2048, hiddenLayers: 2, epochs: 50, batchSize: 1000, learningRate: 2e-4 });
  });
});

describe('classifierTest (fast protocol, not the official one)', () => {
  it('gives AUC ≈ 0.5 and JSD ≈ 0 for two samples of one distribution', async () => {
    const t0 = performance.now();
    const r = await classifierTest(gaussian(20_000, 8, 11), gaussian(20_000, 8, 12), { protocol: 'fast', width: 64, epochs: 3, seed: 7 });
    console.log(`same: backend ${backend}, AUC ${r.auc.toFixed(4)}, JSD ${r.jsd.toFixed(4)}, best epoch ${r.bestEpoch}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    expect(r.sizes).toEqual({ train: 12_000, test: 4_000, val: 4_000 });
    expect(Math.abs(r.auc - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(r.jsd)).toBeLessThan(0.01);
  });

  it('gives AUC > 0.9 for obviously different distributions', async () => {
    const t0 = performance.now();
    const before = tf.memory().numTensors;
    const r = await classifierTest(gaussian(4_000, 8, 21), gaussian(4_000, 8, 22, 0.9), { protocol: 'fast', seed: 7 });
    console.log(`shifted: AUC ${r.auc.toFixed(4)}, JSD ${r.jsd.toFixed(4)}, best epoch ${r.bestEpoch}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // Bayes-optimal AUC of a 0.9σ shift in each of 8 dimensions: Φ(0.9·√8/√2) ≈ 0.9636.
    expect(r.auc).toBeGreaterThan(0.9);
    expect(r.auc).toBeLessThan(0.975);
    expect(r.jsd).toBeGreaterThan(0.3);
    expect(r.history.length).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before); // no leaked tensors
  });
});
