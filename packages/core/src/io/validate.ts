/**
 * Value checks run on every block of rows read from a shower file: incident energies must be
 * finite and positive, voxel energies finite and ≥ 0, angles finite. Negative voxel energies are
 * an error unless asked for (`allowNegative`, CLI `--allow-negative`): a generator whose noise
 * was not clipped writes them, and physics observables computed from them silently mislead (the
 * official CaloChallenge evaluation thresholds voxels first, field-reference.md §1.5, so with the
 * option they are read as they are and the metrics' threshold removes them).
 */
import type { Showers } from '../showers.js';
import { ShowerFileError } from './errors.js';

/**
 * Throws a `ShowerFileError` for the first bad row of `s`, whose row 0 is row `firstRow` of
 * the file.
 */
export function checkRows(path: string, s: Showers, firstRow: number, options: { allowNegative?: boolean } = {}): void {
  const allowNegative = options.allowNegative ?? false;
  const { energy, values, voxels } = s;
  for (let i = 0; i < energy.length; i++) {
    const e = energy[i];
    if (!Number.isFinite(e)) {
      throw bad('non-finite', path, 'incident_energies', firstRow + i, 'a finite energy in MeV', String(e));
    }
    if (!(e > 0)) {
      throw bad('negative-energy', path, 'incident_energies', firstRow + i, 'an energy > 0 MeV', String(e));
    }
  }
  for (let j = 0; j < values.length; j++) {
    // x - x is NaN exactly for NaN and ±Inf; one subtraction is cheaper than isFinite on 16 GB
    const x = values[j]!;
    if (x - x !== 0) {
      const row = Math.floor(j / voxels);
      throw bad('non-finite', path, 'showers', firstRow + row, 'finite voxel energies in MeV', `${x} at voxel ${j - row * voxels}`);
    }
    if (x < 0 && !allowNegative) {
      const row = Math.floor(j / voxels);
      throw bad('negative-voxel', path, 'showers', firstRow + row, 'voxel energies ≥ 0 MeV', `${x} at voxel ${j - row * voxels}`);
    }
  }
  for (const c of ['theta', 'phi'] as const) {
    const a = s[c];
    if (!a) continue;
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) throw bad('non-finite', path, c, firstRow + i, 'a finite angle in rad', String(a[i]));
    }
  }
}

function bad(
  problem: 'non-finite' | 'negative-energy' | 'negative-voxel',
  path: string,
  dataset: string,
  row: number,
  expected: string,
  found: string,
): ShowerFileError {
  const fix =
    problem === 'negative-voxel'
      ? 'Negative energies usually mean a generator\'s noise was not clipped: clip them to 0, or read them as they are with --allow-negative (library: { allowNegative: true }); the metrics threshold voxels first.'
      : 'The generator that wrote this file produced invalid values: fix or drop those rows, or open with { validate: false } to read it anyway.';
  return new ShowerFileError(
    problem,
    `${path}: dataset "${dataset}" row ${row} holds ${found}, but calozoo expects ${expected}. ${fix}`,
    { file: path, dataset, expected, found, row },
  );
}
