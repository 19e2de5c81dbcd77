/* eslint-disable @nx/enforce-module-boundaries -- the README shows the published package import */
import { getGeometry, Rng, type Showers } from '@calozoo/core';
import { evaluate, formatTable } from '@calozoo/metrics';

// Two toy samples of dataset-1 photons: one voxel per layer, energy response 0.95 ± 5 %.
function sample(n: number, seed: number, response: number): Showers {
  const g = getGeometry('ds1-photons');
  const rng = new Rng(seed);
  const values = new Float32Array(n * g.voxels);
  const energy = new Float32Array(n).fill(65536);
  for (let i = 0; i < n; i++) {
    for (const layer of g.kind === 'cylindrical' ? g.layers : []) {
      const voxel = layer.offset + rng.int(layer.voxels);
      values[i * g.voxels + voxel] = (energy[i] * response * (1 + 0.05 * rng.normal())) / 5;
    }
  }
  return { n, voxels: g.voxels, energy, values };
}

export async function main(outDir: string): Promise<string> {
  const { result } = await evaluate({
    reference: sample(3000, 1, 0.95), // or a path: 'dataset_1_photons_2.hdf5'
    generated: sample(3000, 2, 0.97),
    geometry: 'ds1-photons',
    modes: ['hist-chi', 'fpd', 'kpd'],
    kpd: { batchSize: 1000 },
    outDir, // writes metrics.json and index.html
  });
  return formatTable(result);
}
