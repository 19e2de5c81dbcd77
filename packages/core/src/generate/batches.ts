/**
 * A model's own generation loop: the rows of one `generate` call (at most one seeded block) cut
 * into batches of the size its networks run best at, with abort checks and progress between them.
 */
import { AbortedError } from '../errors.js';
import type { GenerateOptions } from '../model/interfaces.js';
import type { Conditions, Showers } from '../showers.js';

/**
 * Showers per network call: `requested` (`GenerateOptions.batchSize`) or the model's `fallback`,
 * at most `max`, what the model's intermediate activations allow in memory (a 30³ conv generator
 * needs about 2.7 MB per shower in one layer, so a call of 10 000 showers would ask for 27 GB).
 */
export function networkBatch(requested: number | undefined, fallback: number, max = Infinity): number {
  return Math.max(1, Math.min(Math.floor(requested ?? fallback), max));
}

/**
 * Runs `batch(start, end)` over the rows of `c` in turns of at most `size` rows and gathers the
 * showers (`voxels` values per row) it returns; between batches it stops with an AbortedError
 * when `options.signal` is aborted, reports progress and lets other work run. `label` names the
 * model in the abort message.
 */
export async function generateInBatches(
  c: Conditions,
  voxels: number,
  size: number,
  batch: (start: number, end: number) => Float32Array | Promise<Float32Array>,
  options: Pick<GenerateOptions, 'signal' | 'onProgress'>,
  label = 'generate',
): Promise<Showers> {
  const n = c.energy.length;
  const step = Math.max(1, Math.floor(size));
  const values = new Float32Array(n * voxels);
  for (let s = 0; s < n; s += step) {
    if (options.signal?.aborted) throw new AbortedError(`${label}: aborted after ${s} of ${n} showers`);
    const t = Math.min(n, s + step);
    values.set(await batch(s, t), s * voxels);
    options.onProgress?.({ phase: 'generate', done: t, total: n });
    if (t < n) await new Promise((r) => setImmediate(r));
  }
  return { n, voxels, energy: Float32Array.from(c.energy), values, ...(c.theta ? { theta: Float32Array.from(c.theta) } : {}), ...(c.phi ? { phi: Float32Array.from(c.phi) } : {}) };
}
