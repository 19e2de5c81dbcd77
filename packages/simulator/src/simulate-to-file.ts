/**
 * `simulateToFile`: streams simulated showers into a CaloChallenge HDF5 file chunk by chunk, so
 * memory stays bounded by one chunk whatever n is. Shower i always comes from its own stream
 * (see `simulateShowers`), so the file is identical for any chunk size.
 */
import { AbortedError, InvalidArgumentError, createShowerWriter, getGeometry, type Geometry } from '@calozoo/core';
import { hasAngle, type EnergySampler } from './energies.js';
import type { Particle } from './engine.js';
import { resolveParticle, simulateShowers, type SimulatorParams } from './simulate.js';
import { simulatorVersion } from './version.js';
import { getVariation } from './variations.js';

/** Generator name written into the `generator` attribute. */
export const GENERATOR_NAME = 'calozoo-simulator';

/** Options of `simulateToFile`. */
export interface SimulateToFileOptions {
  /** Number of showers. */
  n: number;
  /** Integer seed (stored as the `seed` attribute). */
  seed: number;
  /** Showers simulated and appended at a time; default 1000 (does not change the showers). */
  chunk?: number;
  /** Particle; default from the geometry. */
  particle?: Particle;
  /** Per-shower incident-energy sampler (MeV); default: the dataset's distribution. */
  energies?: EnergySampler;
  /** Fixed tilt angle, rad (angular grids draw one per shower by default). */
  theta?: number;
  /** Detector-model overrides. */
  params?: SimulatorParams;
  /** A named physics variation (`SIMULATOR_VARIATIONS`); stored as the `variation` attribute. */
  variation?: string;
  /** gzip level 0–9; default 4. */
  compression?: number;
  /** Called after every chunk with the showers written so far. */
  onProgress?: (done: number, total: number) => void;
  /** Stops between chunks; the partial file is deleted. */
  signal?: AbortSignal;
}

/** What `simulateToFile` wrote. */
export interface SimulateToFileResult {
  path: string;
  n: number;
  seed: number;
  geometry: string;
}

/**
 * Simulates n showers into an HDF5 file (`incident_energies`, `showers`, root attributes geometry,
 * generator = "calozoo-simulator", generator_version, seed), written atomically.
 * @throws InvalidArgumentError on bad options, AbortedError when `signal` fires
 */
export async function simulateToFile(path: string, geometry: Geometry | string, options: SimulateToFileOptions): Promise<SimulateToFileResult> {
  const g = typeof geometry === 'string' ? getGeometry(geometry) : geometry;
  const { n, seed } = options;
  const chunk = options.chunk ?? 1000;
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError(`simulateToFile(${path}): n must be a positive integer, got ${n}`);
  if (!Number.isSafeInteger(chunk) || chunk <= 0) throw new InvalidArgumentError(`simulateToFile(${path}): chunk must be a positive integer, got ${chunk}`);
  if (!Number.isSafeInteger(seed)) throw new InvalidArgumentError(`simulateToFile(${path}): seed must be a safe integer, got ${seed}`);
  const particle = resolveParticle(g, options.particle);
  if (options.variation) getVariation(options.variation); // an unknown name fails before any file exists
  const writer = await createShowerWriter(path, {
    geometry: g,
    n,
    generator: GENERATOR_NAME,
    seed,
    compression: options.compression,
    conditions: options.theta !== undefined || hasAngle(g.id) ? ['theta'] : [],
    attributes: { generator_version: simulatorVersion(), particle, ...(options.variation ? { variation: options.variation } : {}) },
  });
  try {
    for (let start = 0; start < n; start += chunk) {
      if (options.signal?.aborted) throw new AbortedError(`simulateToFile(${path}): aborted after ${start} of ${n} showers; no file was written.`);
      const m = Math.min(chunk, n - start);
      const showers = simulateShowers(g, { n: m, seed, firstIndex: start, particle, energies: options.energies, theta: options.theta, params: options.params, variation: options.variation });
      writer.append(showers);
      options.onProgress?.(start + m, n);
      // Yield to the event loop between chunks, so that Ctrl-C (the abort signal) is seen at once.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } catch (e) {
    await writer.abort();
    throw e;
  }
  await writer.close();
  return { path, n, seed, geometry: g.id };
}
