/**
 * Inputs of the CaloChallenge classifier tests (field-reference.md §2.4), built chunk by chunk:
 * - `cls-low`: [log10 E_inc, voxels / E_inc], voxels below the threshold zeroed (1 + n_voxels);
 * - `cls-low-normed`: [log10 E_inc, voxels / (S_l + 1e-16) per layer, log10(S_l + 1e-8) per
 *   layer]; the voxels are not thresholded, S_l is the thresholded layer energy as the official
 *   high-level-feature class computes it (1 + n_voxels + n_layers);
 * - `cls-high`: the 30/46/362-dim vector of `clsHighFeatures` (../physics/physics-features.ts).
 * E_inc is in MeV. Rows are stored in float32 (the official code uses float64).
 */
import { DataFormatError, InvalidArgumentError, layerSlices, type Geometry, type Showers } from '@calozoo/core';
import { defaultThreshold } from '../dataset.js';
import { FeatureExtractor } from '../features/extractor.js';
import { clsHighFeatures } from '../physics/physics-features.js';

/** The classifier input modes of the CaloChallenge script (`cls-resnet` is not implemented). */
export type ClassifierMode = 'cls-low' | 'cls-low-normed' | 'cls-high';

/** All classifier input modes. */
export const CLASSIFIER_MODES: readonly ClassifierMode[] = ['cls-low', 'cls-low-normed', 'cls-high'];

/** A row-major n×d sample of classifier inputs (the `FeatureMatrix` of physics-features fits). */
export interface ClassifierSample {
  /** Rows. */
  n: number;
  /** Columns. */
  d: number;
  /** Values, row-major. */
  data: Float32Array | Float64Array;
}

/** Options of the input builders. */
export interface ClassifierInputOptions {
  /** Voxel threshold in MeV; default the official one for the geometry (`defaultThreshold`). */
  threshold?: number;
}

/** Input dimension of a mode for a geometry (cls-high: 30 for DS1 γ, 46 for DS1 π, 362 for DS2/3). */
export function classifierInputDim(mode: ClassifierMode, g: Geometry): number {
  const nl = layerSlices(g).length;
  if (mode === 'cls-low') return 1 + g.voxels;
  if (mode === 'cls-low-normed') return 1 + g.voxels + nl;
  let transverse = nl;
  if (g.kind === 'cylindrical') transverse = g.layers.filter((l) => l.nAlpha > 1).length;
  return 2 + nl + 4 * transverse + 3 * nl;
}

/** Accumulates classifier inputs of showers streamed in chunks. */
export class ClassifierInputBuilder {
  /** Input dimension. */
  readonly d: number;
  /** Threshold in MeV. */
  readonly threshold: number;
  private rows: Float32Array;
  private count = 0;
  private readonly extractor?: FeatureExtractor;
  private readonly slices: { start: number; end: number }[];

  /** Creates a builder for `mode` inputs of showers of geometry `g`. */
  constructor(
    readonly mode: ClassifierMode,
    readonly geometry: Geometry,
    options: ClassifierInputOptions = {},
  ) {
    if (!CLASSIFIER_MODES.includes(mode)) throw new InvalidArgumentError(`unknown classifier mode "${String(mode)}"; expected one of ${CLASSIFIER_MODES.join(', ')}`);
    this.threshold = options.threshold ?? defaultThreshold(geometry);
    if (!(this.threshold >= 0)) throw new InvalidArgumentError(`threshold must be >= 0 MeV, got ${this.threshold}`);
    this.d = classifierInputDim(mode, geometry);
    this.slices = layerSlices(geometry).map((s) => ({ start: s.start, end: s.end }));
    if (mode === 'cls-high') this.extractor = new FeatureExtractor(geometry, { threshold: this.threshold });
    this.rows = new Float32Array(mode === 'cls-high' ? 0 : 64 * this.d);
  }

  /** Showers consumed so far. */
  get n(): number {
    return this.extractor ? this.extractor.n : this.count;
  }

  /** Adds a chunk of showers. */
  consume(s: Showers): void {
    const g = this.geometry;
    if (s.voxels !== g.voxels) {
      throw new DataFormatError(`classifier inputs: showers have ${s.voxels} voxels but geometry "${g.id}" has ${g.voxels}; pass the matching geometry`);
    }
    if (this.extractor) {
      this.extractor.consume(s);
      return;
    }
    const d = this.d;
    const need = (this.count + s.n) * d;
    if (need > this.rows.length) {
      const grown = new Float32Array(Math.max(need, this.rows.length * 2));
      grown.set(this.rows.subarray(0, this.count * d));
      this.rows = grown;
    }
    const V = s.voxels;
    const cut = this.threshold;
    const out = this.rows;
    const normed = this.mode === 'cls-low-normed';
    for (let r = 0; r < s.n; r++) {
      const e = s.energy[r];
      if (!(e > 0)) throw new DataFormatError(`classifier inputs: incident energy of shower ${this.count + r} is ${e} MeV; energies must be > 0`);
      const o = (this.count + r) * d;
      const b = r * V;
      out[o] = Math.log10(e);
      if (!normed) {
        for (let i = 0; i < V; i++) {
          const v = s.values[b + i];
          out[o + 1 + i] = v >= cut ? v / e : 0;
        }
        continue;
      }
      this.slices.forEach((L, li) => {
        let S = 0;
        for (let i = L.start; i < L.end; i++) {
          const v = s.values[b + i];
          if (v >= cut && v > 0) S += v;
        }
        const den = S + 1e-16;
        for (let i = L.start; i < L.end; i++) out[o + 1 + i] = s.values[b + i] / den;
        out[o + 1 + V + li] = Math.log10(S + 1e-8);
      });
    }
    this.count += s.n;
  }

  /** Returns the inputs built so far (a copy for cls-high, a view otherwise). */
  finish(): ClassifierSample {
    if (this.extractor) {
      const m = clsHighFeatures(this.extractor.finish());
      if (m.d !== this.d) throw new DataFormatError(`cls-high: feature extractor gave ${m.d} columns, expected ${this.d}`);
      return { n: m.n, d: m.d, data: m.data };
    }
    return { n: this.count, d: this.d, data: this.rows.subarray(0, this.count * this.d) };
  }
}

/** Builds the `mode` inputs of in-memory showers in one call. */
export function classifierInputs(mode: ClassifierMode, showers: Showers, g: Geometry, options: ClassifierInputOptions = {}): ClassifierSample {
  const b = new ClassifierInputBuilder(mode, g, options);
  b.consume(showers);
  return b.finish();
}
