/** Shared fixtures of the I/O tests: temporary directories and showers that encode their row. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Showers } from '../../src/showers.js';

/** Creates a temporary directory; the returned function removes it. */
export function tempDir(): { dir: string; path: (name: string) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'calozoo-io-'));
  return { dir, path: (name) => join(dir, name), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Showers whose voxel v of row r holds r·1000 + v + 0.25 and energy 1000 + r (all exact in float32). */
export function rowShowers(n: number, voxels: number, first = 0, angles = false): Showers {
  const values = new Float32Array(n * voxels);
  const energy = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = first + i;
    energy[i] = 1000 + r;
    for (let v = 0; v < voxels; v++) values[i * voxels + v] = r * 1000 + v + 0.25;
  }
  const s: Showers = { n, voxels, energy, values };
  if (angles) {
    s.theta = Float32Array.from({ length: n }, (_, i) => 0.5 + (first + i) / 1024);
    s.phi = Float32Array.from({ length: n }, (_, i) => -(first + i) / 1024);
  }
  return s;
}

/** The row a shower came from, decoded from its first voxel. */
export function rowOf(values: Float32Array, voxels: number, i: number): number {
  return Math.round((values[i * voxels] - 0.25) / 1000);
}
