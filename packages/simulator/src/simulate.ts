/**
 * `simulateShowers`: the in-memory entry point. Shower i of a run with seed s uses its own
 * generator `new Rng(s, FIRST_STREAM + i)`, so a shower depends only on (seed, index): splitting
 * a run into chunks or shards gives the same showers.
 */
import { InvalidArgumentError, Rng, getGeometry, type Geometry, type Showers } from '@calozoo/core';
import type { DetectorModel, HadronicParams } from './detector.js';
import { detectorFor } from './detectors.js';
import { energySamplerFor, hasAngle, sampleTheta, type EnergySampler } from './energies.js';
import { engineContext, longitudinalStage, type Particle } from './engine.js';
import { cylindricalProjector } from './project-cylindrical.js';
import { gridProjector } from './project-grid.js';
import { getVariation } from './variations.js';

/** Overrides of a geometry's detector model (shallow; `hadronic` is merged one level deeper). */
export type SimulatorParams = Partial<Omit<DetectorModel, 'hadronic'>> & { hadronic?: Partial<HadronicParams> };

/** Options of `simulateShowers`. */
export interface SimulateOptions {
  /** Number of showers. */
  n: number;
  /** Integer seed (give this or `rng`). */
  seed?: number;
  /** Generator to derive the run seed from (advanced by two draws). */
  rng?: Rng;
  /** Particle; default from the geometry (`photon`, `electron` or `pion`). */
  particle?: Particle;
  /** Incident energies in MeV (length ≥ n) or a per-shower sampler; default: the dataset's distribution. */
  energies?: Float32Array | EnergySampler;
  /** Tilt angle(s) from the layer normal, rad: one value for all or one per shower; default 0 (random for angular grids). */
  theta?: number | Float32Array;
  /** Detector-model overrides (applied after `variation`). */
  params?: SimulatorParams;
  /** A named physics variation (`SIMULATOR_VARIATIONS`), e.g. `deep` or `noisy`; default none. */
  variation?: string;
  /** Index of the first shower in the run (for chunked or sharded generation). Default 0. */
  firstIndex?: number;
}

/**
 * Adds Gaussian noise of σ `noise` MeV to the cells [base, base + V) and applies the readout
 * threshold again (the projector applied it to the deposits). The draws come after the shower's
 * own, so a shower with noise is its noiseless self plus noise.
 */
function addNoise(values: Float32Array, base: number, V: number, noise: number, threshold: number, rng: Rng): void {
  for (let v = base; v < base + V; v++) {
    const x = values[v]! + noise * rng.normal();
    values[v] = x >= threshold ? x : 0;
  }
}

/** Stream index of shower 0 (stream 0 is left for run-level draws). */
export const FIRST_STREAM = 1;

/** Resolves the particle of a run, checking the name. */
export function resolveParticle(g: Geometry, particle?: string): Particle {
  const p = particle ?? g.particle;
  if (p === 'photon' || p === 'electron' || p === 'pion') return p;
  throw new InvalidArgumentError(`simulateShowers: unknown particle "${p}" for geometry "${g.id}"; use photon, electron or pion.`);
}

/** Returns the detector model of a geometry with `params` applied. */
export function resolveDetector(g: Geometry, params?: SimulatorParams, variation?: string): DetectorModel {
  const base = variation ? getVariation(variation).detector(detectorFor(g), g) : detectorFor(g);
  if (!params) return base;
  const { hadronic, ...rest } = params;
  return { ...base, ...rest, hadronic: { ...base.hadronic, ...(hadronic ?? {}) } };
}

/** Derives the integer run seed from `seed` or `rng`. */
function resolveSeed(options: { seed?: number; rng?: Rng }): number {
  if (options.seed !== undefined) {
    if (!Number.isSafeInteger(options.seed)) throw new InvalidArgumentError(`simulateShowers: seed must be a safe integer, got ${options.seed}`);
    return options.seed;
  }
  if (options.rng) return options.rng.nextUint32() * 2097152 + (options.rng.nextUint32() >>> 11);
  throw new InvalidArgumentError('simulateShowers: pass a seed or an rng (calozoo never uses global randomness).');
}

/**
 * Simulates n showers in a geometry (a `Geometry` or an id such as `ds2`).
 * @example
 *   const s = simulateShowers('ds1-photons', { n: 100, seed: 1 }); // s.values: 100 × 368 MeV
 * @throws InvalidArgumentError on a bad n, seed, particle or energy array
 */
export function simulateShowers(geometry: Geometry | string, options: SimulateOptions): Showers {
  const g = typeof geometry === 'string' ? getGeometry(geometry) : geometry;
  const { n } = options;
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`simulateShowers: n must be a non-negative integer, got ${n}`);
  const first = options.firstIndex ?? 0;
  if (!Number.isSafeInteger(first) || first < 0) throw new InvalidArgumentError(`simulateShowers: firstIndex must be a non-negative integer, got ${first}`);
  const seed = resolveSeed(options);
  const particle = resolveParticle(g, options.particle);
  const detector = resolveDetector(g, options.params, options.variation);
  const energies = options.energies;
  if (energies instanceof Float32Array && energies.length < n) {
    throw new InvalidArgumentError(`simulateShowers: energies has ${energies.length} values for n = ${n} showers; pass at least n energies in MeV.`);
  }
  const theta = options.theta;
  if (theta instanceof Float32Array && theta.length < n) throw new InvalidArgumentError(`simulateShowers: theta has ${theta.length} values for n = ${n}.`);
  const sampler = typeof energies === 'function' ? energies : ((options.variation ? getVariation(options.variation).energies?.(g) : undefined) ?? energySamplerFor(g.id));
  const noise = detector.noiseMeV ?? 0;
  const angular = theta !== undefined || hasAngle(g.id);

  const ctx = engineContext(g, detector);
  const project = g.kind === 'cylindrical' ? cylindricalProjector(g, ctx) : gridProjector(g, ctx);
  const out: Showers = { n, voxels: g.voxels, energy: new Float32Array(n), values: new Float32Array(n * g.voxels) };
  if (angular) out.theta = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const rng = new Rng(seed, FIRST_STREAM + first + i);
    const e = energies instanceof Float32Array ? energies[i] : sampler(rng);
    if (!(e > 0) || !Number.isFinite(e)) throw new InvalidArgumentError(`simulateShowers: incident energy of shower ${first + i} must be a positive number of MeV, got ${e}`);
    let th = 0;
    if (theta instanceof Float32Array) th = theta[i];
    else if (typeof theta === 'number') th = theta;
    else if (angular) th = sampleTheta(rng);
    if (!(Math.abs(th) < Math.PI / 2)) throw new InvalidArgumentError(`simulateShowers: theta must be in (−π/2, π/2) rad, got ${th}`);
    out.energy[i] = e;
    if (out.theta) out.theta[i] = th;
    longitudinalStage(detector, ctx.slices, particle, e, th, rng, ctx.state);
    project(rng, out.values, i * g.voxels);
    if (noise > 0) addNoise(out.values, i * g.voxels, g.voxels, noise, detector.thresholdMeV, rng);
  }
  return out;
}
