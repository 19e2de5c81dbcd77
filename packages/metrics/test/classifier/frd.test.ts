/**
 * Fréchet Regression Distance (field-reference.md §2.7): small for two samples of one toy
 * simulation, larger and monotonic for growing distortions; the regressor round-trips through
 * config.json + weights.safetensors and `loadOrTrainFrdRegressor` reuses it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendSupports3dConv, getGeometry, gridGeometry, selectTfBackend, tf } from '@calozoo/core';
import { FrdRegressor, frd, loadOrTrainFrdRegressor } from '../../src/frd/index.js';
import { toyShowers } from '../toy-showers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'calozoo-frd-'));
let backend = '';
beforeAll(async () => {
  backend = (await selectTfBackend()).chosen;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('FRD (dense regressor, DS1 photon geometry)', () => {
  const g = getGeometry('calochallenge-1-photons');
  it('is small for the same distribution, grows monotonically with the shift, and round-trips', async () => {
    const t0 = performance.now();
    const train = toyShowers(g, { n: 2000, seed: 41 });
    const losses: number[] = [];
    const { regressor, trained } = await loadOrTrainFrdRegressor(path.join(dir, 'dense'), train, g, { epochs: 4, onEpoch: (_, l) => losses.push(l) });
    expect(trained).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    // The regressor has learned the energy: median |log10(pred/true)| well below the spread.
    const check = toyShowers(g, { n: 300, seed: 42 });
    const pred = regressor.predictEnergy(check);
    const err = Array.from(pred, (p, i) => Math.abs(Math.log10(p / check.energy[i]))).sort((a, b) => a - b);
    expect(err[150]).toBeLessThan(0.25);

    const ref = toyShowers(g, { n: 1500, seed: 43 });
    const values = [0, 0.5, 1, 2].map((shift) => frd(regressor, ref, toyShowers(g, { n: 1500, seed: 44, shift })).value);
    console.log(`FRD (${backend}) shifts 0, 0.5, 1, 2: ${values.map((v) => v.toExponential(3)).join(', ')}; ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThan(values[i - 1]);
    expect(values[0]).toBeLessThan(values[3] / 5);
    expect(values[0]).toBeGreaterThanOrEqual(0);

    // Save/load round trip: identical features; the second call loads instead of training.
    const again = await loadOrTrainFrdRegressor(path.join(dir, 'dense'), train, g);
    expect(again.trained).toBe(false);
    expect(Array.from(again.regressor.features(check))).toEqual(Array.from(regressor.features(check)));
    expect(again.regressor.config).toEqual(JSON.parse(JSON.stringify(regressor.config)));
    const sub = frd(again.regressor, ref, ref, { maxShowers: 500 });
    expect(sub.showers).toEqual({ reference: 500, generated: 500 });
    regressor.dispose();
    again.regressor.dispose();
  });
});

describe('FRD (conv3d regressor, small grid)', () => {
  it('trains a 3D CNN on a grid and round-trips it (skipped on backends without correct 3D convolutions)', async (ctx) => {
    if (!backendSupports3dConv(backend)) ctx.skip();
    const before = tf.memory().numTensors;
    const g = gridGeometry('tiny-grid', [6, 8, 8]);
    const train = toyShowers(g, { n: 256, seed: 51 });
    const reg = await FrdRegressor.train(train, g, { epochs: 1 });
    expect(reg.config.arch).toBe('conv3d');
    const f = reg.features(train, [0, 1, 2]);
    expect(f.length).toBe(300);
    expect(f.every(Number.isFinite)).toBe(true);
    await reg.save(path.join(dir, 'cnn'));
    const back = await FrdRegressor.load(path.join(dir, 'cnn'));
    expect(Array.from(back.features(train, [0, 1, 2]))).toEqual(Array.from(f));
    expect(frd(reg, train, train).value).toBeCloseTo(0, 6);
    reg.dispose();
    back.dispose();
    expect(tf.memory().numTensors).toBe(before); // no leaked tensors
  });
});
