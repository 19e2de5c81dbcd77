/**
 * A seeded uniform choice of a few whole showers from a stream of chunks (reservoir sampling,
 * Vitter's algorithm R), for the single-shower images of the report. Memory is k showers, however
 * long the stream; the choice depends only on the seed and the shower order, not on the chunking.
 */
import { InvalidArgumentError, Rng, type Showers } from '@calozoo/core';

/** One chosen shower. */
export interface SampledShower {
  /** Row of the shower in its source (0-based). */
  index: number;
  /** Incident energy, MeV. */
  energy: number;
  /** Thresholded voxel energies, MeV (length `geometry.voxels`). */
  values: number[];
}

/** Keeps a seeded uniform random choice of `count` showers from chunks streamed through `consume`. */
export class ShowerSampler {
  private readonly rng: Rng;
  private readonly kept: { index: number; energy: number; values: Float32Array }[] = [];
  private seen = 0;

  /**
   * @param count showers to keep
   * @param seed seed of the choice
   * @param threshold voxels below this energy (MeV) are zeroed in the kept showers, as everywhere else
   * @param stream random stream of the seed (one per sample, so two samples do not get the same rows)
   */
  constructor(
    readonly count: number,
    readonly seed: number,
    readonly threshold = 0,
    stream = 0,
  ) {
    if (!(Number.isInteger(count) && count >= 0)) throw new InvalidArgumentError(`ShowerSampler: count must be an integer >= 0, got ${count}`);
    this.rng = new Rng(seed, stream);
  }

  /** Offers every shower of a chunk to the reservoir. */
  consume(s: Showers): void {
    const V = s.voxels;
    for (let r = 0; r < s.n; r++) {
      const i = this.seen++;
      let slot = i;
      if (i >= this.count) {
        slot = this.rng.int(i + 1);
        if (slot >= this.count) continue;
      }
      const values = s.values.slice(r * V, (r + 1) * V);
      for (let v = 0; v < V; v++) if (!(values[v] >= this.threshold) || values[v] <= 0) values[v] = 0;
      this.kept[slot] = { index: i, energy: s.energy[r], values };
    }
  }

  /** The chosen showers, in source order. */
  finish(): SampledShower[] {
    return this.kept
      .slice()
      .sort((a, b) => a.index - b.index)
      .map((k) => ({ index: k.index, energy: k.energy, values: Array.from(k.values) }));
  }
}
