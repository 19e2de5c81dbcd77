/**
 * Estimates the intrinsic dimension of simulated dataset-1 showers in the VAE's input
 * representation (sqrt of within-layer fractions) to choose CaloMan's latent size.
 * Run: npx vite-node --config vitest.config.ts scripts/intrinsic-dim-ds1.ts [geometry] [n]
 */
import { getGeometry, layerSlices, toLayerFractions } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { intrinsicDimension } from '../src/intrinsic-dimension.js';
import { thresholded, voxelForward } from '../src/preprocess.js';

const geometry = getGeometry(process.argv[2] ?? 'calochallenge-1-photons');
const n = Number(process.argv[3] ?? 4000);
const t0 = Date.now();
const s = simulateShowers(geometry, { n, seed: 11 });
const t1 = Date.now();
const values = thresholded(s.values, 1);
const { fractions } = toLayerFractions(values, n, s.voxels, layerSlices(geometry));
for (const kind of ['linear', 'sqrt'] as const) {
  const x = voxelForward(new Float32Array(fractions), kind);
  const est = intrinsicDimension(x, n, s.voxels, { k: [5, 10, 20] });
  console.log(JSON.stringify({ geometry: geometry.id, n, representation: kind, simulateSeconds: (t1 - t0) / 1000, estimates: est }));
}
