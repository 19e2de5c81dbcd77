/**
 * Streaming feature extraction: a `FeatureExtractor` consumes chunks of showers and keeps one
 * row of features per shower (O(N × features) memory), the voxel spectrum as a histogram and the
 * summed energy of every voxel (O(voxels), for the average images and the radial profile), so
 * arbitrarily large files are evaluated chunk by chunk
 * (field-reference.md §2.1, §5.3, §6.1). Voxels below the threshold are zeroed first.
 */
import { DataFormatError, InvalidArgumentError, cellCentres, type Geometry, type Showers } from '@calozoo/core';
import { defaultThreshold } from '../dataset.js';
import { featureSchema, type FeatureSchema } from './schema.js';
import { VoxelSpectrum } from './voxel-spectrum.js';
import { radialBinning, radialProfile, type RadialBinning } from './radial.js';

/** Options of the feature extractor. */
export interface FeatureExtractorOptions {
  /** Voxels below this energy (MeV) are zeroed before everything; default `defaultThreshold(geometry)`. */
  threshold?: number;
  /** n_hit counts voxels ≥ this energy (MeV, e.g. a MIP cut); default: every voxel above `threshold`. */
  hitThreshold?: number;
  /** Bin edges of the voxel spectrum; when absent only the maximum voxel is tracked. */
  voxelEdges?: Float64Array;
}

/** Per-shower features of a sample plus the streamed accumulations. */
export interface FeatureTable {
  /** Column layout. */
  readonly schema: FeatureSchema;
  /** Number of showers. */
  readonly n: number;
  /** One Float64Array of length n per column, in `schema.names` order. */
  readonly columns: readonly Float64Array[];
  /** Largest thresholded voxel energy, MeV. */
  readonly voxelMax: number;
  /** Voxel-spectrum counts (when edges were given). */
  readonly voxelCounts?: Float64Array;
  /** Summed thresholded energy of every voxel over all showers, MeV (mean image = voxelSum / n). */
  readonly voxelSum: Float64Array;
  /** Radial profile: summed energy per common radial bin over all showers, MeV (`radialProfile` of `voxelSum`). */
  readonly radialSum: Float64Array;
  /** Radial bins of the profile. */
  readonly radial: RadialBinning;
  /** Threshold applied, MeV. */
  readonly threshold: number;
  /** Hit threshold applied, MeV. */
  readonly hitThreshold: number;
}

/** Returns the column called `name` of a feature table. */
export function column(t: FeatureTable, name: string): Float64Array {
  const i = t.schema.index[name];
  if (i === undefined) throw new InvalidArgumentError(`no feature "${name}" for geometry "${t.schema.geometry}"; known: ${t.schema.names.slice(0, 12).join(', ')}, …`);
  return t.columns[i];
}

const EPS = 1e-16;

/** Accumulates features of showers streamed in chunks. */
export class FeatureExtractor {
  /** Column layout. */
  readonly schema: FeatureSchema;
  /** Threshold in MeV. */
  readonly threshold: number;
  /** Hit threshold in MeV. */
  readonly hitThreshold: number;
  private rows: Float64Array;
  private count = 0;
  private vmax = 0;
  private readonly spectrum?: VoxelSpectrum;
  private readonly radial: RadialBinning;
  private readonly voxelSum: Float64Array;
  private readonly X: Float64Array;
  private readonly Y: Float64Array;
  private readonly R: Float64Array;

  /** Creates an extractor for showers of geometry `g`. */
  constructor(
    readonly geometry: Geometry,
    options: FeatureExtractorOptions = {},
  ) {
    this.schema = featureSchema(geometry);
    this.threshold = options.threshold ?? defaultThreshold(geometry);
    if (!(this.threshold >= 0)) throw new InvalidArgumentError(`threshold must be >= 0 MeV, got ${this.threshold}`);
    this.hitThreshold = options.hitThreshold ?? this.threshold;
    if (options.voxelEdges) this.spectrum = new VoxelSpectrum(options.voxelEdges, this.threshold);
    const c = cellCentres(geometry);
    this.X = c.x;
    this.Y = c.y;
    this.R = c.r;
    this.radial = radialBinning(geometry);
    this.voxelSum = new Float64Array(geometry.voxels);
    this.rows = new Float64Array(1024 * this.schema.names.length);
  }

  /** Showers consumed so far. */
  get n(): number {
    return this.count;
  }

  /** Adds a chunk of showers. */
  consume(s: Showers): void {
    const g = this.geometry;
    if (s.voxels !== g.voxels) {
      throw new DataFormatError(`FeatureExtractor: showers have ${s.voxels} voxels but geometry "${g.id}" has ${g.voxels}; pass the matching geometry`);
    }
    const nf = this.schema.names.length;
    const need = (this.count + s.n) * nf;
    if (need > this.rows.length) {
      const grown = new Float64Array(Math.max(need, this.rows.length * 2));
      grown.set(this.rows.subarray(0, this.count * nf));
      this.rows = grown;
    }
    const grid = this.schema.grid;
    const layers = this.schema.layers;
    const nl = layers.length;
    const { X, Y, R } = this;
    const vsum = this.voxelSum;
    const spec = this.spectrum;
    const cut = this.threshold > 0 ? this.threshold : Number.MIN_VALUE;
    const hcut = Math.max(cut, this.hitThreshold);
    const v = s.values;
    const V = s.voxels;
    let vmax = this.vmax;
    for (let r = 0; r < s.n; r++) {
      const base = r * V;
      const row = (this.count + r) * nf;
      const out = this.rows;
      let E = 0, gx = 0, gxx = 0, gy = 0, gyy = 0, gr = 0, grr = 0, gz = 0, gzz = 0, nhit = 0;
      let E1 = 0, E2 = 0, E3 = 0;
      for (let li = 0; li < nl; li++) {
        const L = layers[li];
        let S = 0, sx = 0, sxx = 0, sy = 0, syy = 0, sr = 0, srr = 0, nnz = 0;
        for (let i = L.start; i < L.end; i++) {
          const e = v[base + i];
          if (!(e >= cut)) continue;
          nnz++;
          if (e >= hcut) nhit++;
          if (e > vmax) vmax = e;
          S += e;
          const x = X[i], y = Y[i], rr = R[i];
          const ex = e * x, ey = e * y, er = e * rr;
          sx += ex;
          sxx += ex * x;
          sy += ey;
          syy += ey * y;
          sr += er;
          srr += er * rr;
          vsum[i] += e;
          if (spec) spec.add(e);
        }
        const c = row + L.column;
        const den = S + EPS;
        out[c] = S;
        out[c + 1] = 1 - nnz / (L.end - L.start);
        const ecr = sr / den;
        out[c + 2] = ecr;
        out[c + 3] = Math.sqrt(Math.max(0, srr / den - ecr * ecr));
        if (L.transverse) {
          const eca = sx / den;
          const ecb = sy / den;
          out[c + 4] = eca;
          out[c + 5] = ecb;
          out[c + 6] = Math.sqrt(Math.max(0, sxx / den - eca * eca));
          out[c + 7] = Math.sqrt(Math.max(0, syy / den - ecb * ecb));
        }
        E += S;
        gx += sx; gxx += sxx; gy += sy; gyy += syy; gr += sr; grr += srr;
        gz += li * S;
        gzz += li * li * S;
        if (L.third === 0) E1 += S;
        else if (L.third === 1) E2 += S;
        else E3 += S;
      }
      const einc = s.energy[r];
      const den = E + EPS;
      const m1x = gx / den, m1y = gy / den, m1z = gz / den;
      out[row] = einc;
      out[row + 1] = E;
      out[row + 2] = E / einc;
      out[row + 3] = nhit;
      out[row + 4] = m1x;
      out[row + 5] = m1y;
      out[row + 6] = m1z;
      out[row + 7] = Math.max(0, gxx / den - m1x * m1x);
      out[row + 8] = Math.max(0, gyy / den - m1y * m1y);
      out[row + 9] = Math.max(0, gzz / den - m1z * m1z);
      let k = row + 10;
      if (!grid) {
        const m1r = gr / den;
        out[k++] = m1r;
        out[k++] = Math.max(0, grr / den - m1r * m1r);
      }
      out[k++] = E1 / den;
      out[k++] = E2 / den;
      out[k++] = E3 / den;
    }
    this.vmax = vmax;
    this.count += s.n;
  }

  /** Returns the columns and accumulations (the extractor may keep consuming afterwards). */
  finish(): FeatureTable {
    const nf = this.schema.names.length;
    const n = this.count;
    const columns = Array.from({ length: nf }, () => new Float64Array(n));
    const rows = this.rows;
    for (let r = 0; r < n; r++) {
      const o = r * nf;
      for (let j = 0; j < nf; j++) columns[j][r] = rows[o + j];
    }
    return {
      schema: this.schema,
      n,
      columns,
      voxelMax: this.vmax,
      voxelCounts: this.spectrum ? Float64Array.from(this.spectrum.counts) : undefined,
      voxelSum: Float64Array.from(this.voxelSum),
      radialSum: radialProfile(this.radial, this.voxelSum),
      radial: this.radial,
      threshold: this.threshold,
      hitThreshold: this.hitThreshold,
    };
  }
}
