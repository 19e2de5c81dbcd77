/**
 * A small synthetic shower source for tests (independent of @calozoo/simulator): per layer a
 * log-normal energy share that depends on log E_inc, and a radially falling, azimuthally
 * smeared profile whose width fluctuates shower by shower, with gamma-distributed cell noise.
 */
import { Rng, cellCentres, layerSlices, type Geometry, type Showers } from '@calozoo/core';

/** n synthetic showers of `geometry` with incident energies drawn from `energies` (MeV). */
export function syntheticShowers(geometry: Geometry, n: number, seed: number, energies: readonly number[] = [1024, 4096, 16384, 65536]): Showers {
  const rng = new Rng(seed);
  const slices = layerSlices(geometry);
  const centres = cellCentres(geometry);
  const V = geometry.voxels;
  const L = slices.length;
  const energy = new Float32Array(n);
  const values = new Float32Array(n * V);
  for (let i = 0; i < n; i++) {
    const E = energies[rng.int(energies.length)];
    energy[i] = E;
    const t = Math.log10(E) - 3;
    const depth = 1 + 0.4 * t + 0.3 * rng.normal();
    const response = 0.8 + 0.05 * rng.normal();
    const shares = Array.from({ length: L }, (_, l) => Math.exp(-0.5 * ((l - depth) / 1.1) ** 2 + 0.2 * rng.normal()) + 1e-3);
    const total = shares.reduce((a, b) => a + b, 0);
    const width = 15 * Math.exp(0.25 * rng.normal());
    for (let l = 0; l < L; l++) {
      const { start, end } = slices[l];
      const el = (E * response * shares[l]) / total;
      let s = 0;
      const w = new Float64Array(end - start);
      for (let v = start; v < end; v++) {
        const r = centres.r[v];
        const x = Math.exp(-r / width) * rng.gamma(4, 0.25);
        w[v - start] = x;
        s += x;
      }
      for (let v = start; v < end; v++) values[i * V + v] = s > 0 ? (el * w[v - start]) / s : 0;
    }
  }
  return { n, voxels: V, energy, values };
}
