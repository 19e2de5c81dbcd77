/**
 * The pooled voxel-energy spectrum, histogrammed on the fly (nothing is stored per voxel):
 * thresholded voxel energies counted in log-spaced bins from the threshold to the reference
 * maximum (50 edges, field-reference.md §2.2).
 */
import { InvalidArgumentError, type Showers } from '@calozoo/core';
import { binIndex } from '../histogram.js';

/** Streaming histogram of voxel energies in fixed bins. */
export class VoxelSpectrum {
  /** Counts per bin. */
  readonly counts: Float64Array;
  private readonly lnLo: number;
  private readonly inv: number;
  private readonly nb: number;

  /**
   * @param edges increasing, positive bin edges (log-spaced for the fast path; any increasing edges are exact)
   * @param threshold voxels below it count as zero and are not histogrammed
   */
  constructor(
    readonly edges: Float64Array,
    readonly threshold: number,
  ) {
    if (edges.length < 2 || !(edges[0] > 0)) throw new InvalidArgumentError('VoxelSpectrum: need at least two positive edges');
    this.nb = edges.length - 1;
    this.counts = new Float64Array(this.nb);
    this.lnLo = Math.log(edges[0]);
    const span = Math.log(edges[this.nb]) - this.lnLo;
    this.inv = span > 0 ? this.nb / span : 0;
  }

  /** Adds one voxel value (already known to pass the threshold). */
  add(e: number): void {
    const edges = this.edges;
    const nb = this.nb;
    if (!(e >= edges[0] && e <= edges[nb])) return;
    let b = Math.floor((Math.log(e) - this.lnLo) * this.inv);
    if (b < 0) b = 0;
    else if (b >= nb) b = nb - 1;
    // exact NumPy assignment against the stored edges
    if (e < edges[b]) b--;
    else if (b < nb - 1 && e >= edges[b + 1]) b++;
    if (b < 0 || (b < nb - 1 && e >= edges[b + 1]) || e < edges[b]) b = binIndex(edges, e);
    this.counts[b]++;
  }

  /** Adds every thresholded voxel of a chunk of showers. */
  consume(s: Showers): void {
    const v = s.values;
    const cut = this.threshold > 0 ? this.threshold : Number.MIN_VALUE;
    for (let i = 0; i < v.length; i++) {
      const e = v[i];
      if (e >= cut) this.add(e);
    }
  }
}

/** Largest thresholded voxel energy in a chunk (0 if none passes). */
export function maxVoxel(s: Showers, threshold: number): number {
  const v = s.values;
  let m = 0;
  const cut = threshold > 0 ? threshold : Number.MIN_VALUE;
  for (let i = 0; i < v.length; i++) if (v[i] >= cut && v[i] > m) m = v[i];
  return m;
}
