/**
 * Incident-energy distributions of the real datasets (field-reference.md §1.3, §1.4, §5):
 * dataset 1 at 15 discrete energies 2^k MeV (k = 8…22) with the per-energy event counts of the
 * official files; datasets 2/3 log-uniform in 1 GeV–1 TeV; ILD grids uniform in 10–100 GeV; the
 * angular ILD grid also draws a tilt angle.
 */
import { InvalidArgumentError, getGeometry, type Rng } from '@calozoo/core';

/** Draws one incident energy in MeV from a generator. */
export type EnergySampler = (rng: Rng) => number;

/** Dataset-1 energies in MeV: 2^k for k = 8…22 (256 MeV … 4.194 TeV). */
export const DS1_ENERGIES_MEV: readonly number[] = Array.from({ length: 15 }, (_, i) => 2 ** (i + 8));

/** Events per energy in one dataset-1 photon file (121 000 in all), aligned with DS1_ENERGIES_MEV. */
export const DS1_PHOTON_COUNTS: readonly number[] = [...Array(11).fill(10000), 5000, 3000, 2000, 1000];

/** Events per energy in one dataset-1 pion file (120 800 in all; 9 800 at 262 GeV). */
export const DS1_PION_COUNTS: readonly number[] = [...Array(10).fill(10000), 9800, 5000, 3000, 2000, 1000];

/** Range of the tilt angle drawn for the angular ILD grid, rad (0 = normal incidence). */
export const ANGULAR_THETA_RANGE: readonly [number, number] = [0, Math.PI / 6];

function discrete(values: readonly number[], counts: readonly number[]): EnergySampler {
  const total = counts.reduce((a, b) => a + b, 0);
  const cdf = new Float64Array(counts.length);
  let acc = 0;
  counts.forEach((c, i) => {
    acc += c;
    cdf[i] = acc / total;
  });
  return (rng) => {
    const u = rng.uniform53();
    let i = 0;
    while (i < cdf.length - 1 && u >= cdf[i]) i++;
    return values[i];
  };
}

const logUniform = (lo: number, hi: number): EnergySampler => {
  const a = Math.log(lo);
  const b = Math.log(hi);
  return (rng) => Math.exp(a + (b - a) * rng.uniform53());
};

const uniform = (lo: number, hi: number): EnergySampler => (rng) => lo + (hi - lo) * rng.uniform53();

/** Returns the incident-energy sampler of a geometry's dataset (MeV); unknown geometries get log-uniform 1 GeV–1 TeV. */
export function energySamplerFor(geometryId: string): EnergySampler {
  const id = getGeometry(geometryId).id;
  switch (id) {
    case 'calochallenge-1-photons':
      return discrete(DS1_ENERGIES_MEV, DS1_PHOTON_COUNTS);
    case 'calochallenge-1-pions':
      return discrete(DS1_ENERGIES_MEV, DS1_PION_COUNTS);
    case 'ild-ecal':
    case 'ild-hcal':
    case 'ild-ecal-angular':
      return uniform(10_000, 100_000);
    default:
      return logUniform(1_000, 1_000_000);
  }
}

/** Whether a geometry's dataset is conditioned on a polar (tilt) angle. */
export function hasAngle(geometryId: string): boolean {
  return getGeometry(geometryId).id === 'ild-ecal-angular';
}

/** Draws one tilt angle (rad) uniformly in ANGULAR_THETA_RANGE. */
export function sampleTheta(rng: Rng): number {
  return ANGULAR_THETA_RANGE[0] + (ANGULAR_THETA_RANGE[1] - ANGULAR_THETA_RANGE[0]) * rng.uniform53();
}

/**
 * Draws n incident energies (MeV) from the real dataset's distribution for a geometry.
 * @throws InvalidArgumentError when n is not a non-negative integer
 */
export function sampleIncidentEnergies(geometryId: string, n: number, rng: Rng): Float32Array {
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`sampleIncidentEnergies: n must be a non-negative integer, got ${n}`);
  const draw = energySamplerFor(geometryId);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = draw(rng);
  return out;
}
