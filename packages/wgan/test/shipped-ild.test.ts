/**
 * The shipped ILD 30³ photon model (`wgan-gp/ild-ecal`, models/ild-ecal/README.md): it loads
 * through the registry, generates on ONNX Runtime (the default) the same showers as on TF.js, and
 * at 20 and 80 GeV its mean visible energy and mean n_hit (0.1 MeV MIP cut, field-reference.md
 * §5.1) lie within the tolerances below of the simulator's. Measured with 200 showers each
 * (2026-12-07, the model with the hit-count and spectrum critic features): E_vis 0.92 / 1.01 and
 * n_hit 0.85 / 0.92 of the simulator's at 20 / 80 GeV; the tolerances (15 %, 25 %) hold the shipped
 * model where it is (its card says it misses n_hit below 40 GeV) and fail on a broken load,
 * representation, condition or readout, which move them by factors.
 */
import { expect, it } from 'vitest';
import { getGeometry, loadPretrained, readModelConfig, pretrainedDir } from '@calozoo/core';
import { mipSummary, runtimeDifference } from '@calozoo/core/testing';
import { simulateShowers } from '@calozoo/simulator';
import '../src/index.js';

it('wgan-gp/ild-ecal generates showers whose mean E_vis and n_hit at 20 and 80 GeV match the simulator\'s', async () => {
  const geometry = getGeometry('ild-ecal');
  const model = await loadPretrained('wgan-gp/ild-ecal');
  const { preprocessing } = await readModelConfig(pretrainedDir('wgan-gp/ild-ecal'));
  const threshold = preprocessing['threshold'] as number;
  expect(threshold).toBeGreaterThan(0);
  const n = 200;
  const rows: Record<string, number>[] = [];
  try {
    for (const gev of [20, 80]) {
      const energy = new Float32Array(n).fill(gev * 1000);
      const gen = await model.generate({ energy }, { seed: 5 });
      // The readout: no generated cell between 0 and the training data's smallest deposit.
      expect(gen.values.some((v) => v > 0 && v < threshold)).toBe(false);
      const sim = simulateShowers(geometry, { n, seed: 7, energies: energy });
      const g = mipSummary(gen.values, n, geometry.voxels);
      const s = mipSummary(sim.values, n, geometry.voxels);
      rows.push({ gev, evis: g.evis / s.evis, nhit: g.nhit / s.nhit });
    }
    const { difference, max } = await runtimeDifference(model, { energy: Float32Array.of(20000, 80000) }, 5);
    expect(difference).toBeLessThanOrEqual(1e-3 * max);
  } finally {
    model.dispose();
  }
  for (const r of rows) {
    expect(Math.abs(r['evis']! - 1), `E_vis ratio at ${r['gev']} GeV`).toBeLessThan(0.15);
    expect(Math.abs(r['nhit']! - 1), `n_hit ratio at ${r['gev']} GeV`).toBeLessThan(0.25);
  }
}, 120_000);
