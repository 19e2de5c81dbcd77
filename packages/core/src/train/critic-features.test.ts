/**
 * The critic's physics features (`critic-features.ts`): E_dep/E_inc and layer fractions by hand,
 * the lateral centres and widths against a float64 calculation, their standardisation on the
 * training rows, and a gradient penalty through them against finite differences.
 */
import { describe, expect, it } from 'vitest';
import { cellCentres, getGeometry, layerSlices } from '../geometry/index.js';
import { representationFor } from '../preprocessing/representation.js';
import { Rng } from '../rng.js';
import { tf } from '../device/tf.js';
import { criticFeatureCount, criticFeatureSettingsProblems, depositQuantiles, fitCriticFeatures, FIT_CHUNK_VALUES, lateralMatrices, layerMatrix, rawCriticFeatures, FRACTION_EPSILON, HIT_FLOOR_MEV, HIT_TEMPERATURE, LATERAL_EPSILON, WIDTH_FLOOR } from './critic-features.js';
import { gradientPenalty } from './adversarial.js';
import { voxelLayers } from './validation-score.js';

// Two layers: voxels 0, 1 in layer 0 and voxel 2 in layer 1.
const layers = Int32Array.of(0, 0, 1);

describe('critic features', () => {
  it('settings checks name each bad key', () => {
    const ok = { criticFeatures: true, criticLateralFeatures: true, criticLateralLayers: 'angular' as const, criticFeatureScale: 0.5, criticLateralScale: 0.5 };
    expect(criticFeatureSettingsProblems(ok)).toEqual([]);
    const bad = criticFeatureSettingsProblems({ ...ok, criticLateralLayers: 'some' as never, criticFeatureScale: 0, criticLateralScale: Number.NaN }, 'net.');
    expect(bad.map(([k]) => k)).toEqual(['net.criticLateralLayers', 'net.criticFeatureScale', 'net.criticLateralScale']);
    expect(bad[0]![1]).toMatch(/must be one of all, angular; found "some"/);
    const hits = criticFeatureSettingsProblems({ ...ok, criticFeatures: false, criticHitFeatures: true, criticHitCut: 0 }, 'conv.');
    expect(hits).toEqual([['conv.criticHitCut', 'must be > 0 (MeV), found 0']]);
  });

  it('hits: per-layer soft counts of cells above the cut in MeV, against a float64 calculation', () => {
    // u = E_voxel/E_inc; E_inc 1000 and 2000 MeV: cells of 0.05, 0.2, 40 MeV and 0.1, 0, 3 MeV at a 0.1 MeV cut.
    const u = [[0.05e-3, 0.2e-3, 40e-3], [0.05e-3, 0, 1.5e-3]];
    const energy = [1000, 2000];
    const M = layerMatrix(layers);
    const f = tf.tidy(() => rawCriticFeatures(tf.tensor2d(u), M, undefined, { energy: tf.tensor2d(energy, [2, 1]), cut: 0.1 }).arraySync());
    M.dispose();
    expect(criticFeatureCount(2, false, true)).toBe(5);
    const soft = (mev: number) => 1 / (1 + Math.exp(-(Math.log(mev + HIT_FLOOR_MEV) - Math.log(0.1)) / HIT_TEMPERATURE));
    u.forEach((row, i) => {
      expect(f[i]).toHaveLength(5);
      expect(f[i]![3]).toBeCloseTo(soft(row[0]! * energy[i]!) + soft(row[1]! * energy[i]!), 5);
      expect(f[i]![4]).toBeCloseTo(soft(row[2]! * energy[i]!), 5);
    });
    // Near the hard n_hit per layer: 0.05 MeV counts 0.06 and 0.2 MeV 0.94, so layer 0 of row 0 holds 1.
    expect(f[0]![3]).toBeCloseTo(1, 1);
    expect(f[1]![3]).toBeCloseTo(0.5, 4); // at the cut (plus the floor): one half
    expect(f[1]![4]).toBeCloseTo(1, 4);
  });

  it('spectrum: soft counts of all cells above each cut, the cuts at quantiles of the training deposits', () => {
    const u = [[0.05e-3, 0.2e-3, 40e-3], [0.05e-3, 0, 1.5e-3]];
    const energy = [1000, 2000];
    const cuts = [0.1, 1, 10];
    const M = layerMatrix(layers);
    const f = tf.tidy(() => rawCriticFeatures(tf.tensor2d(u), M, undefined, { energy: tf.tensor2d(energy, [2, 1]), spectrum: cuts }).arraySync());
    const soft = (mev: number, cut: number) => 1 / (1 + Math.exp(-(Math.log(mev + HIT_FLOOR_MEV) - Math.log(cut)) / HIT_TEMPERATURE));
    expect(criticFeatureCount(2, false, false, 3)).toBe(6);
    u.forEach((row, i) => {
      expect(f[i]).toHaveLength(6);
      cuts.forEach((c, k) => expect(f[i]![3 + k]).toBeCloseTo(row.reduce((a, v) => a + soft(v * energy[i]!, c), 0), 5));
    });
    // Row 0 holds 0.05, 0.2 and 40 MeV: about 2 cells above 0.1 MeV, 1 above 1 and 1 above 10.
    expect(f[0]!.slice(3).map((v) => Math.round(v))).toEqual([2, 1, 1]);
    // The cuts: quantiles 1/4, 2/4, 3/4 of the positive deposits 0.05, 0.2, 40, 0.1, 3 MeV (sorted 0.05 0.1 0.2 3 40).
    const repr = representationFor({ architecture: 'dense', dense: { representation: 'fraction' } }, 1);
    const q = depositQuantiles(Float32Array.from(u.flat()), 3, [0, 1], energy, repr.fractionTf!, 3);
    expect(q.map((v) => Number(v.toPrecision(4)))).toEqual([0.1, 0.2, 3]);
    M.dispose();
  });

  it('hits: a generator loss that wants more hits raises the cells below the cut, and the map asks for E_inc', () => {
    const M = layerMatrix(layers);
    const energy = tf.tensor2d([1000], [1, 1]);
    const g = tf.tidy(() => tf.grad((v: tf.Tensor) => tf.sum(tf.slice(rawCriticFeatures(v as tf.Tensor2D, M, undefined, { energy, cut: 0.1 }), [0, 3], [1, 2])))(tf.tensor2d([[0.08e-3, 0, 1e-3]])).arraySync() as number[][]);
    expect(g[0]![0]).toBeGreaterThan(0); // 0.08 MeV: pushed over the cut
    expect(Number.isFinite(g[0]![1])).toBe(true); // an empty cell: finite
    expect(g[0]![2]).toBeLessThan(g[0]![0]!); // 1 MeV, well above: hardly moves
    const repr = representationFor({ architecture: 'dense', dense: { representation: 'fraction' } }, 1);
    const x = Float32Array.of(0.2e-3, 0, 1e-3, 0.05e-3, 0.3e-3, 2e-3);
    const map = fitCriticFeatures(x, 3, [0, 1], layers, repr.fractionTf!, { hits: { cut: 0.1, energy: [1000, 1000] } });
    expect(map.needsEnergy).toBe(true);
    expect(map.size).toBe(5);
    expect(() => tf.tidy(() => map.apply(tf.tensor2d(x, [2, 3])))).toThrow(/hit counts need each shower's E_inc/);
    const a = tf.tidy(() => map.apply(tf.tensor2d(x, [2, 3]), tf.tensor2d([1000, 1000], [2, 1])).arraySync());
    // Standardised on the two rows: each feature is ±1 (float32 means), the hit counts included.
    for (let k = 0; k < 5; k++) {
      expect(Math.abs(a[0]![k]!)).toBeCloseTo(1, 2);
      expect(a[0]![k]! + a[1]![k]!).toBeCloseTo(0, 2);
    }
    map.dispose();
    tf.dispose([M, energy]);
  });

  it('E_dep/E_inc and layer fractions of u = E_voxel/E_inc', () => {
    const f = tf.tidy(() => rawCriticFeatures(tf.tensor2d([0.1, 0.2, 0.5, 0, 0, 0.4], [2, 3]), layerMatrix(layers)).arraySync());
    expect(f[0]![0]).toBeCloseTo(0.8, 6);
    expect(f[0]![1]).toBeCloseTo(0.3 / (0.8 + FRACTION_EPSILON), 6);
    expect(f[0]![2]).toBeCloseTo(0.5 / (0.8 + FRACTION_EPSILON), 6);
    expect(f[1]!).toEqual([expect.closeTo(0.4, 6), 0, expect.closeTo(0.4 / (0.4 + FRACTION_EPSILON), 6)]);
    expect(criticFeatureCount(2)).toBe(3);
  });

  it('lateral: per-layer centres and widths in x and y, against a float64 calculation', () => {
    const cx = [1, 3, 5];
    const cy = [0, 2, -1];
    const rows = [[0.1, 0.3, 0.5], [0.2, 0, 0], [0, 0, 0]];
    const lat = lateralMatrices(layers, cx, cy);
    const M = layerMatrix(layers);
    const f = tf.tidy(() => rawCriticFeatures(tf.tensor2d(rows), M, lat).arraySync());
    tf.dispose([M, lat.x, lat.y, lat.x2, lat.y2]);
    expect(criticFeatureCount(2, true)).toBe(11);
    rows.forEach((u, i) => {
      expect(f[i]).toHaveLength(11);
      for (let l = 0; l < 2; l++) {
        const vs = [0, 1, 2].filter((v) => layers[v] === l);
        const e = vs.reduce((a, v) => a + u[v]!, 0) + LATERAL_EPSILON;
        const m = (g: (v: number) => number) => vs.reduce((a, v) => a + u[v]! * g(v), 0) / e;
        const mx = m((v) => cx[v]!);
        const my = m((v) => cy[v]!);
        const wx = Math.sqrt(Math.max(0, m((v) => cx[v]! ** 2) - mx * mx) + WIDTH_FLOOR);
        const wy = Math.sqrt(Math.max(0, m((v) => cy[v]! ** 2) - my * my) + WIDTH_FLOOR);
        expect(f[i]![3 + l]).toBeCloseTo(mx, 4);
        expect(f[i]![5 + l]).toBeCloseTo(my, 4);
        expect(f[i]![7 + l]).toBeCloseTo(wx, 4);
        expect(f[i]![9 + l]).toBeCloseTo(wy, 4);
      }
    });
    // Row 0, layer 0: centre (0.1·1 + 0.3·3)/0.4 ≈ 2.5, width √(0.1·0.3/0.4² + 1) ≈ √(0.75 + 1).
    expect(f[0]![3]).toBeCloseTo(1.0 / (0.4 + LATERAL_EPSILON), 4);
    expect(f[0]![7]).toBeCloseTo(Math.sqrt(1.75), 2);
    // An empty shower: centres 0, widths the floor.
    expect(f[2]!.slice(3)).toEqual([0, 0, 0, 0, 1, 1, 1, 1].map((v) => expect.closeTo(v, 6)));
  });

  it('are standardised with the mean and standard deviation of the training rows only, through the representation', () => {
    // sqrt-fraction with scale 1: u = x². Row 2 (not a training row) would change the constants.
    const x = Float32Array.of(Math.sqrt(0.1), Math.sqrt(0.2), Math.sqrt(0.5), 0, 0, Math.sqrt(0.4), 1, 1, 1);
    const repr = representationFor({ architecture: 'dense', dense: { representation: 'sqrt-fraction' } }, 1);
    const map = fitCriticFeatures(x, 3, Uint32Array.of(0, 1), layers, repr.fractionTf!);
    expect(map.size).toBe(3);
    expect(map.mean[0]).toBeCloseTo(0.6, 5); // E_dep/E_inc 0.8 and 0.4
    expect(map.invStd[0]).toBeCloseTo(1 / 0.2, 3);
    const out = tf.tidy(() => map.apply(tf.tensor2d(x.subarray(0, 6), [2, 3])).arraySync());
    // Two rows standardised on themselves: every feature is ±1 (or 0 where constant).
    for (let k = 0; k < 3; k++) {
      expect(out[0]![k]! + out[1]![k]!).toBeCloseTo(0, 4);
      expect(Math.abs(out[0]![k]!)).toBeCloseTo(map.invStd[k] === 0 ? 0 : 1, 3);
    }
    const half = fitCriticFeatures(x, 3, Uint32Array.of(0, 1), layers, repr.fractionTf!, { factor: 0.5 });
    expect(half.invStd[0]).toBeCloseTo(0.5 / 0.2, 3);
    expect(half.mean[0]).toBeCloseTo(0.6, 5);
    half.dispose();
    map.dispose();
  });

  it('the fitted constants do not depend on the fitting chunk (chunks are sized by values: a 30³ grid fits 155 showers at a time)', () => {
    const rng = new Rng(9);
    const V = 3, n = 23;
    const x = Float32Array.from({ length: n * V }, () => rng.uniform());
    const repr = representationFor({ architecture: 'dense', dense: { representation: 'sqrt-fraction' } }, 1);
    const rows = Uint32Array.from({ length: 20 }, (_, i) => i + 3);
    const hits = { cut: 0.1, spectrum: 3, energy: Float32Array.from({ length: n }, (_, i) => 1000 + 100 * i) };
    const whole = fitCriticFeatures(x, V, rows, layers, repr.fractionTf!, { hits, centres: { x: [0.5, 2, 1], y: [1, -1, 0.5] } });
    const chunked = fitCriticFeatures(x, V, rows, layers, repr.fractionTf!, { hits, centres: { x: [0.5, 2, 1], y: [1, -1, 0.5] }, chunk: 6 });
    for (let k = 0; k < whole.size; k++) {
      expect(chunked.mean[k]).toBeCloseTo(whole.mean[k]!, 5);
      expect(chunked.invStd[k]! / (whole.invStd[k]! || 1)).toBeCloseTo(whole.invStd[k]! === 0 ? 0 : 1, 4);
    }
    expect(Math.floor(FIT_CHUNK_VALUES / 27000)).toBe(155);
    whole.dispose();
    chunked.dispose();
  });

  it.each([false, true])('a gradient penalty through the features matches finite differences (lateral %s)', (lateral) => {
    const rng = new Rng(4);
    const V = 3;
    const n = 4;
    const repr = representationFor({ architecture: 'dense', dense: { representation: 'sqrt-fraction' } }, 2);
    const data = Float32Array.from({ length: 4 * V }, () => 0.2 + 0.8 * rng.uniform());
    const centres = lateral ? { x: [0.5, 2, 1], y: [1, -1, 0.5] } : undefined;
    const map = fitCriticFeatures(data, V, Uint32Array.of(0, 1, 2, 3), layers, repr.fractionTf!, { centres });
    expect(map.size).toBe(criticFeatureCount(2, lateral));
    const w = tf.tensor2d(Float32Array.from({ length: V + map.size }, () => rng.uniform() - 0.5), [V + map.size, 1]);
    const critic = (x: tf.Tensor2D) => tf.tanh(tf.matMul(tf.concat([x, map.apply(x)], 1), w));
    const real = tf.tensor2d(Float32Array.from({ length: n * V }, () => 0.2 + 0.8 * rng.uniform()), [n, V]);
    const fake = tf.tensor2d(Float32Array.from({ length: n * V }, () => 0.2 + 0.8 * rng.uniform()), [n, V]);
    const alpha = tf.tensor2d(Float32Array.from({ length: n }, () => rng.uniform()), [n, 1]);
    // Input gradients by central differences (float64 arithmetic on the float32 critic is enough at h = 1e-2).
    const mixed = tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake)) as tf.Tensor2D;
    const m = mixed.arraySync();
    const h = 1e-2;
    let expected = 0;
    for (let i = 0; i < n; i++) {
      let sq = 0;
      for (let v = 0; v < V; v++) {
        const plus = m[i]!.slice();
        const minus = m[i]!.slice();
        plus[v]! += h;
        minus[v]! -= h;
        const d = (critic(tf.tensor2d([plus], [1, V])).dataSync()[0]! - critic(tf.tensor2d([minus], [1, V])).dataSync()[0]!) / (2 * h);
        sq += d * d;
      }
      expected += (Math.sqrt(sq) - 1) ** 2 / n;
    }
    const gp = gradientPenalty(critic, [real], [fake], alpha).dataSync()[0]!;
    expect(Math.abs(gp - expected)).toBeLessThan(2e-2 * Math.max(1, expected));
    // And the penalty has a finite gradient with respect to the critic's weights (double backprop).
    const gw = tf.grad((ww: tf.Tensor) => gradientPenalty((x) => tf.tanh(tf.matMul(tf.concat([x, map.apply(x)], 1), ww as tf.Tensor2D)), [real], [fake], alpha))(w);
    expect(Array.from(gw.dataSync()).every(Number.isFinite)).toBe(true);
    expect(Array.from(gw.dataSync()).some((v) => v !== 0)).toBe(true);
    map.dispose();
  });

  it('lateral: fitted on DS1 photons, the y centre and width of the layers with one angular bin are constant and get factor 0', () => {
    const geometry = getGeometry('ds1-photons');
    const L = layerSlices(geometry).length;
    const centres = cellCentres(geometry);
    const rng = new Rng(9);
    const x = Float32Array.from({ length: 16 * geometry.voxels }, () => (rng.uniform() < 0.3 ? rng.uniform() : 0));
    const repr = representationFor({ architecture: 'dense', dense: { representation: 'sqrt-fraction' } }, 1);
    const map = fitCriticFeatures(x, geometry.voxels, Uint32Array.from({ length: 16 }, (_, i) => i), voxelLayers(geometry), repr.fractionTf!, { centres });
    const single = geometry.kind === 'cylindrical' ? geometry.layers.map((l) => l.nAlpha === 1) : [];
    expect(single.some(Boolean)).toBe(true);
    single.forEach((one, l) => {
      expect(map.invStd[1 + L + L + l] === 0).toBe(one); // ⟨y⟩
      expect(map.invStd[1 + L + 3 * L + l] === 0).toBe(one); // y width
      expect(map.invStd[1 + L + l]).toBeGreaterThan(0); // ⟨x⟩ (the mean radius where one bin)
    });
    // A separate factor on the lateral block: the energy features keep theirs.
    const scaled = fitCriticFeatures(x, geometry.voxels, Uint32Array.from({ length: 16 }, (_, i) => i), voxelLayers(geometry), repr.fractionTf!, { centres, factor: 0.5, lateralFactor: 0.1 });
    for (let k = 0; k < map.size; k++) expect(scaled.invStd[k]).toBeCloseTo(map.invStd[k]! * (k < 1 + L ? 0.5 : 0.1), 4);
    scaled.dispose();
    // Only the layers with angular bins: the others' lateral features get factor 0, the energy features keep theirs.
    const angular = single.map((one) => !one);
    const some = fitCriticFeatures(x, geometry.voxels, Uint32Array.from({ length: 16 }, (_, i) => i), voxelLayers(geometry), repr.fractionTf!, { centres, lateralLayers: angular });
    for (let k = 0; k < map.size; k++) expect(some.invStd[k]).toBeCloseTo(k < 1 + L || angular[(k - 1 - L) % L] ? map.invStd[k]! : 0, 6);
    expect(some.size).toBe(map.size);
    some.dispose();
    map.dispose();
  });

});
