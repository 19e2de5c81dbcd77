/**
 * The shipped ILD 30³ photon model (`bib-ae/ild-ecal`, models/ild-ecal/README.md): its config is
 * the package's ILD default (defaults are the recipe), it loads through the registry, generates on
 * ONNX Runtime (the default) the same showers as on TF.js, and at 20 and 80 GeV its mean visible
 * energy and mean n_hit (0.1 MeV MIP cut, field-reference.md §5.1) lie within the tolerances below
 * of the simulator's. Measured with 200 showers each (2026-12-07, flow sampler): E_vis 0.995 / 1.000
 * and n_hit 0.97 / 0.74 of the simulator's at 20 / 80 GeV; the tolerances (3 %, 30 %) hold the
 * shipped model where it is (its card says it misses n_hit above 55 GeV) and fail on a broken load,
 * representation, condition, post-processor (the empty showers of the direct form) or latent scaling
 * (unscaled flow draws sit 16 below the encoder's latents), which move them by factors.
 */
import { expect, it } from 'vitest';
import { getGeometry, loadPretrained, pretrainedDir, readModelConfig } from '@calozoo/core';
import { mipSummary, runtimeDifference } from '@calozoo/core/testing';
import { simulateShowers } from '@calozoo/simulator';
import { bibAePlugin } from '../src/index.js';

it('bib-ae/ild-ecal was trained with the ILD default config', async () => {
  const shipped = await readModelConfig(pretrainedDir('bib-ae/ild-ecal'));
  expect(bibAePlugin.defaultConfig(getGeometry('ild-ecal'))).toEqual(shipped.config);
  expect(String(shipped.training?.['command'])).toMatch(/^calozoo train bib-ae --data \S+ --out \S+ /);
});

it('bib-ae/ild-ecal generates showers whose mean E_vis and n_hit at 20 and 80 GeV match the simulator\'s', async () => {
  const geometry = getGeometry('ild-ecal');
  const model = await loadPretrained('bib-ae/ild-ecal');
  const n = 200;
  const rows: { gev: number; evis: number; nhit: number }[] = [];
  try {
    for (const gev of [20, 80]) {
      const energy = new Float32Array(n).fill(gev * 1000);
      const gen = await model.generate({ energy }, { seed: 5 });
      const sim = simulateShowers(geometry, { n, seed: 7, energies: energy });
      const g = mipSummary(gen.values, n, geometry.voxels);
      const s = mipSummary(sim.values, n, geometry.voxels);
      rows.push({ gev, evis: g.evis / s.evis, nhit: g.nhit / s.nhit });
    }
    const { difference, max } = await runtimeDifference(model, { energy: Float32Array.of(20000, 80000) }, 5);
    expect(max).toBeGreaterThan(0);
    expect(difference).toBeLessThanOrEqual(1e-3 * max);
  } finally {
    model.dispose();
  }
  for (const r of rows) {
    expect(Math.abs(r.evis - 1), `E_vis ratio at ${r.gev} GeV`).toBeLessThan(0.03);
    expect(Math.abs(r.nhit - 1), `n_hit ratio at ${r.gev} GeV`).toBeLessThan(0.3);
  }
}, 180_000);
