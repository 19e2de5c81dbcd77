import { describe, expect, it } from 'vitest';
import { Rng } from '@calozoo/core';
import { applyResponseCalibration, calibrateResponse, calibrationEdges, fitResponseCalibration } from './calibration.js';

function meanStd(x: ArrayLike<number>): [number, number] {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i];
    s2 += x[i] * x[i];
  }
  const m = s / x.length;
  return [m, Math.sqrt(s2 / x.length - m * m)];
}

describe('response calibration', () => {
  it('maps the model response distribution onto the data distribution in every energy bin', () => {
    const rng = new Rng(9);
    const energies = [1024, 65536];
    const n = 8000;
    const e = Float32Array.from({ length: n }, () => energies[rng.int(2)]);
    // Data: mean 0.9 / 0.95, sd 0.02; model: biased low and too wide.
    const data = Float64Array.from(e, (x) => (x < 5000 ? 0.9 : 0.95) + 0.02 * rng.normal());
    const model = Float64Array.from(e, (x) => (x < 5000 ? 0.8 : 0.9) + 0.05 * rng.normal());
    const edges = calibrationEdges(e, energies, 10);
    expect(edges.length).toBe(3);
    const cal = fitResponseCalibration({ r: data, energy: e }, { r: model, energy: e }, edges, 50);
    const fresh = Float64Array.from(e, (x) => (x < 5000 ? 0.8 : 0.9) + 0.05 * rng.normal());
    for (const E of energies) {
      const out = fresh.filter((_, i) => e[i] === E).map((r) => calibrateResponse(cal, r, E));
      const [m, sd] = meanStd(out);
      expect(m).toBeCloseTo(E < 5000 ? 0.9 : 0.95, 2);
      expect(sd).toBeGreaterThan(0.017);
      expect(sd).toBeLessThan(0.023);
    }
  });

  it('rescales layer energies so their sum follows the calibrated response', () => {
    const cal = { edges: [0, 10], model: [[0.5, 0.6, 0.7]], data: [[0.8, 0.9, 1.0]] };
    const layerE = Float64Array.of(30, 30, 0);
    applyResponseCalibration(cal, layerE, [100], 3);
    expect(layerE[0] + layerE[1]).toBeCloseTo(90, 6);
    expect(layerE[0]).toBeCloseTo(layerE[1], 9);
    // Beyond the fitted range: the end quantile of the data.
    expect(calibrateResponse(cal, 5, 100)).toBe(1.0);
    expect(calibrateResponse(cal, 0.1, 100)).toBe(0.8);
  });
});
