// Generates 1 000 dataset-1-photon showers with a shipped trained model and writes them as a
// CaloChallenge HDF5 file. Swapping models is changing the two first arguments:
//   node generate.mjs @calozoo/caloman caloman/ds1-photons caloman.h5
//   node generate.mjs @calozoo/wgan    wgan-gp/ds1-photons wgan.h5
import { loadPretrained, writeShowerFile } from '@calozoo/core';

const [pkg = '@calozoo/caloman', model = 'caloman/ds1-photons', out = 'generated.h5'] = process.argv.slice(2);
await import(pkg); // a model package registers its plugin (and its shipped models) on import

// The 15 incident energies of CaloChallenge dataset 1 (256 MeV … 4.2 TeV), each about 67 times.
const n = 1000;
const energy = Float32Array.from({ length: n }, (_, i) => 2 ** (8 + (i % 15)));

const generator = await loadPretrained(model);
const t0 = performance.now();
const showers = await generator.generate({ energy }, { seed: 1 });
const ms = performance.now() - t0;
generator.dispose();

await writeShowerFile(out, showers, { geometry: generator.card.geometry, generator: `${model} (${pkg})`, seed: 1 });
const eDep = showers.values.reduce((a, v) => a + v, 0) / 1000;
console.log(`${model}: ${showers.n} showers × ${showers.voxels} voxels in ${ms.toFixed(0)} ms → ${out} (mean E_dep ${(eDep / n).toFixed(1)} GeV)`);
