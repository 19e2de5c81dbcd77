// Simulates a reference sample for the same incident energies with @calozoo/simulator and scores
// every generated file against it with @calozoo/metrics, in one table.
//   node compare.mjs caloman.h5 wgan.h5
import { ATTR_GEOMETRY, getGeometry, openShowerFile, writeShowerFile } from '@calozoo/core';
import { simulateShowers } from '@calozoo/simulator';
import { evaluate } from '@calozoo/metrics';

const files = process.argv.slice(2);
if (files.length === 0) throw new Error('usage: node compare.mjs generated.h5 [more.h5 …]');

const first = await openShowerFile(files[0]);
const geometry = getGeometry(String(first.attributes[ATTR_GEOMETRY]));
const energy = first.readEnergies();
first.close();

const reference = 'reference.h5';
await writeShowerFile(reference, simulateShowers(geometry, { n: energy.length, seed: 2, energies: energy }), { geometry, generator: 'calozoo simulator', seed: 2 });

const rows = [];
for (const file of files) {
  const { result } = await evaluate({ reference, generated: file, geometry, modes: ['hist-chi', 'fpd', 'kpd'] });
  const response = result.observables.find((o) => o.name === 'E_dep/E_inc');
  rows.push({
    generated: file,
    'mean S': result.summary?.meanSeparationPower.toFixed(3),
    'S(E_dep/E_inc)': response?.separationPower.toFixed(3),
    'FPD ×10³': result.fpd ? (result.fpd.value * 1e3).toFixed(1) : '',
    'KPD ×10³': result.kpd ? (result.kpd.value * 1e3).toFixed(2) : '',
  });
}
console.log(`reference: ${energy.length} simulated showers (${geometry.id}); the same incident energies as the generated files`);
console.table(rows);
