/**
 * Shower sources for evaluation: in-memory `Showers` or a CaloChallenge HDF5 file path, read
 * chunk by chunk through `@calozoo/core`'s reader so memory stays bounded.
 */
import { InvalidArgumentError, memorySource, openShowerFile, type Geometry, type Showers } from '@calozoo/core';

/** Showers in memory, or the path of a CaloChallenge HDF5 file. */
export type ShowerInput = string | Showers;

/** Default rows per chunk: about 8 M voxels (32 MB of float32) per chunk. */
export function defaultChunkRows(voxels: number): number {
  return Math.max(1, Math.floor((8 << 20) / voxels));
}

/** How files are opened: `allowNegative` reads negative voxel energies as they are instead of refusing them. */
export interface ReadOptions {
  allowNegative?: boolean;
}

/** Number of showers in a source (opens and closes a file). */
export async function sourceSize(src: ShowerInput, g: Geometry, read: ReadOptions = {}): Promise<number> {
  if (typeof src !== 'string') return src.n;
  const f = await openShowerFile(src, { geometry: g, ...read });
  try {
    return f.n;
  } finally {
    f.close();
  }
}

/**
 * Calls `fn` on consecutive chunks of a source; awaits between chunks so progress callbacks and
 * timers run.
 */
export async function forEachChunk(src: ShowerInput, g: Geometry, chunkRows: number, fn: (s: Showers, done: number, total: number) => void, read: ReadOptions = {}): Promise<void> {
  if (!(Number.isInteger(chunkRows) && chunkRows > 0)) throw new InvalidArgumentError(`chunkRows must be a positive integer, got ${chunkRows}`);
  if (typeof src !== 'string' && src.voxels !== g.voxels) {
    throw new InvalidArgumentError(`showers have ${src.voxels} voxels, geometry "${g.id}" has ${g.voxels}; pass the matching geometry`);
  }
  const f = typeof src === 'string' ? await openShowerFile(src, { geometry: g, ...read }) : { ...memorySource(src), close: (): void => undefined };
  try {
    for (let s = 0; s < f.n; s += chunkRows) {
      const e = Math.min(f.n, s + chunkRows);
      fn(f.readRange(s, e), e, f.n);
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    f.close();
  }
}
