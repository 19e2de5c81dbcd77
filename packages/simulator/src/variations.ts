/**
 * Named variations of the simulated physics, for testing that a model's recipe generalises: each
 * moves the showers the way real calorimeters differ from one another (absorber depth and
 * Molière radius, sampling fluctuations, MIP response, electronic noise, dead material in front,
 * the shape family of the longitudinal profile, the incident-energy spectrum). A recipe is tuned on the `tuning` variations and reported on the
 * `held-back` ones, which nobody tunes on.
 *
 * A variation transforms the geometry's built-in detector model (`detectors.ts`); `noiseMeV`
 * adds Gaussian noise to every cell after the deposit and before the readout threshold.
 */
import { InvalidArgumentError, type Geometry } from '@calozoo/core';
import type { DetectorModel, Slab } from './detector.js';
import type { EnergySampler } from './energies.js';

/** Whether a variation may be used to choose settings, or only to report them. */
export type VariationRole = 'tuning' | 'held-back';

/** A named variation of the simulated physics. */
export interface SimulatorVariation {
  /** Kebab-case name, e.g. `deep`. */
  readonly name: string;
  /** `tuning`: settings may be chosen on it; `held-back`: only reported. */
  readonly role: VariationRole;
  /** What changes, with the numbers. */
  readonly description: string;
  /** The detector model of the variation, from the geometry's built-in one. */
  detector(base: DetectorModel, geometry: Geometry): DetectorModel;
  /** Incident-energy spectrum of the variation (default: the dataset's own). */
  energies?(geometry: Geometry): EnergySampler | undefined;
}

/** Every slab's depth in X0 and λ_int multiplied by `f` (a denser or lighter absorber per layer). */
const depthScale = (d: DetectorModel, f: number): DetectorModel => ({ ...d, slabs: d.slabs.map((s) => ({ ...s, x0: s.x0 * f, lambda: s.lambda * f })) });
/** Every slab's Molière radius multiplied by `f` (wider or narrower showers). */
const widthScale = (d: DetectorModel, f: number): DetectorModel => ({ ...d, slabs: d.slabs.map((s) => ({ ...s, rmMm: s.rmMm * f })) });

/** A dead slab of `x0` radiation lengths in front of the first one (upstream material: cryostat, cables). */
function upstream(d: DetectorModel, x0: number): DetectorModel {
  const first = d.slabs[0]!;
  const dead: Slab = { thicknessMm: (first.thicknessMm / first.x0) * x0, x0, lambda: (first.lambda / first.x0) * x0, rmMm: first.rmMm, layer: -1, visible: 0, mipCrossMeV: 0, sub: 1 };
  return { ...d, slabs: [dead, ...d.slabs] };
}

/** Log-uniform incident energies over the range of the geometry's own spectrum (continuous instead of discrete). */
function logUniform(lo: number, hi: number): EnergySampler {
  return (rng) => lo * Math.pow(hi / lo, rng.uniform());
}

/** The built-in variations: five to tune on, six held back. */
export const SIMULATOR_VARIATIONS: readonly SimulatorVariation[] = [
  { name: 'nominal', role: 'tuning', description: 'the built-in detector model as it is', detector: (d) => d },
  { name: 'deep', role: 'tuning', description: 'absorber 15 % thinner per layer in X0 and λ_int (slab x0, lambda × 0.85): showers reach deeper layers', detector: (d) => depthScale(d, 0.85) },
  { name: 'narrow', role: 'tuning', description: 'Molière radius × 0.8 (every slab): narrower showers', detector: (d) => widthScale(d, 0.8) },
  { name: 'coarse-sampling', role: 'tuning', description: 'stochastic term × 1.5 (EM and hadronic): wider energy resolution and cell fluctuations', detector: (d) => ({ ...d, samplingTerm: d.samplingTerm * 1.5, hadSamplingTerm: d.hadSamplingTerm * 1.5 }) },
  { name: 'small-mips', role: 'tuning', description: 'MIP spots 30 % smaller (most probable value and Landau width × 0.7): a thinner active layer', detector: (d) => ({ ...d, mipMpvMeV: d.mipMpvMeV * 0.7, mipWidthMeV: d.mipWidthMeV * 0.7 }) },
  { name: 'shallow-wide', role: 'held-back', description: 'absorber 15 % thicker per layer (x0, lambda × 1.15) and Molière radius × 1.25: shorter, wider showers', detector: (d) => widthScale(depthScale(d, 1.15), 1.25) },
  {
    name: 'noisy',
    role: 'held-back',
    description: 'Gaussian electronic noise of 2 × the readout threshold in every cell before the threshold (noise hits in empty cells)',
    detector: (d) => ({ ...d, noiseMeV: 2 * d.thresholdMeV }),
  },
  { name: 'upstream-material', role: 'held-back', description: '1.5 X0 of dead material in front of the first layer: earlier, lossier showers', detector: (d) => upstream(d, 1.5) },
  {
    name: 'stretched-profile',
    role: 'held-back',
    description: 'another longitudinal shape family: a generalised-gamma EM profile, the GFLASH gamma CDF taken at t_max·(t/t_max)^0.75 (earlier start, longer tail)',
    detector: (d) => ({ ...d, emProfilePower: 0.75 }),
  },
  { name: 'big-mips', role: 'held-back', description: 'MIP spots 40 % larger (most probable value and width × 1.4) and constant term × 2', detector: (d) => ({ ...d, mipMpvMeV: d.mipMpvMeV * 1.4, mipWidthMeV: d.mipWidthMeV * 1.4, constantTerm: d.constantTerm * 2 }) },
  {
    name: 'log-uniform-energies',
    role: 'held-back',
    description: 'incident energies log-uniform over the dataset’s range instead of its own spectrum (for dataset 1: continuous between 256 MeV and 4.2 TeV instead of 15 values)',
    detector: (d) => d,
    energies: (g) => (g.id.startsWith('calochallenge-1') ? logUniform(256, 4_194_304) : logUniform(1_000, 1_000_000)),
  },
];

/** The variation named `name`, or an InvalidArgumentError listing them. */
export function getVariation(name: string): SimulatorVariation {
  const v = SIMULATOR_VARIATIONS.find((x) => x.name === name);
  if (!v) throw new InvalidArgumentError(`unknown simulator variation "${name}"; known: ${SIMULATOR_VARIATIONS.map((x) => x.name).join(', ')}`);
  return v;
}
