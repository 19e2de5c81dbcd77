/**
 * Physics features for dense critics (the WGAN's `dense.criticFeatures`, the BIB-AE's difference
 * critic): besides the voxels, the critic
 * sees per shower the energy response E_dep/E_inc = Σ_v u_v and the longitudinal profile as layer
 * fractions E_l / E_dep, computed inside the graph from the network values (u = E_voxel/E_inc via
 * the representation's `fractionTf`), for real, generated and interpolated showers alike. The
 * critic can then compare these sums directly instead of having to learn them from hundreds of
 * voxels, and their gradients push the generator toward the right response, resolution and
 * longitudinal profile (the summed-energy inputs of CaloGAN, Paganini et al. 2018,
 * arXiv:1705.02355, and of the CaloChallenge GANs). The gradient penalty is taken with respect to
 * the voxels through these functions, so the Lipschitz constraint covers them.
 *
 * With `dense.criticLateralFeatures` the critic also sees, per layer, the energy-weighted centre
 * and width of the shower in both transverse coordinates (x = r·cos α, y = r·sin α on cylindrical
 * geometries, cell indices on grids; core's `cellCentres`): the same quantities as the
 * CaloChallenge high-level observables (centre and width in η and φ per layer, field-reference.md
 * §2.2), which no sum over layers carries.
 *
 * With `criticHitFeatures` the critic also sees, per layer, a soft count of the cells above a hit
 * cut in MeV (`criticHitCut`; the 0.1 MeV MIP cut of the ILD n_hit, field-reference.md §5.1):
 * Σ_v σ((ln E_v − ln cut) / τ) over the layer's cells, τ = `HIT_TEMPERATURE`. The voxel values of
 * the root-fraction family squeeze the cells near the cut together (0.05 and 0.2 MeV differ by a
 * few hundredths), so without the counts a critic barely sees a generator that puts its MIP-like
 * cells just below the cut; the counts need each shower's E_inc to turn fractions into MeV. With
 * `criticSpectrumCuts` = K the critic also sees the shower's cell-energy spectrum as K soft counts
 * (over all cells) of the cells above K cuts, the quantiles k/(K + 1) of the training showers'
 * deposits: the MIP peak, which a generator smears out, is then a difference of two counts.
 *
 * Each feature is standardised with the mean and standard deviation over the training split (so
 * all features enter the first layer on the scale of the voxel values in [0, 1]); the constants
 * are fitted by every `fit` from its training showers and are used by the critic only, never by
 * generation. A feature that is constant on the training split (the y centre of a layer with one
 * angular bin) gets factor 0.
 */
import { tf } from '../device/tf.js';
import { cellCentres, layerSlices } from '../geometry/centres.js';
import type { Geometry } from '../geometry/types.js';
import type { TrainingData } from './training-data.js';
import { voxelLayers } from './validation-score.js';

/** Added to E_dep/E_inc in the layer fractions' denominator (fractions of incident energy). */
export const FRACTION_EPSILON = 1e-3;

/**
 * Added to a layer's E_l/E_inc in the denominator of its centre and width: small against any layer
 * that holds a hit (1e-4 of 256 MeV is 0.03 MeV, below the readout threshold of the CaloChallenge
 * files) and large enough that an empty layer's centre stays near 0 with bounded gradients.
 */
export const LATERAL_EPSILON = 1e-4;

/** Added to a width's variance (in squared coordinate units: mm² or cells²) before the square root, which keeps its gradient finite at zero width. */
export const WIDTH_FLOOR = 1;

/** Width τ in ln(E / cut) of the soft hit indicator σ((ln E − ln cut) / τ): 0.05 MeV counts 0.06 at a 0.1 MeV cut, 0.2 MeV 0.94. */
export const HIT_TEMPERATURE = 0.25;

/** Added to a cell's energy (MeV) before the logarithm of the soft hit indicator, so that empty cells count 0 with a finite gradient. */
export const HIT_FLOOR_MEV = 1e-6;

/** The soft hit counts' inputs: the shower's E_inc (MeV) [n, 1], the per-layer counts' cut and the spectrum's cuts (MeV). */
export interface HitCounts {
  readonly energy: tf.Tensor2D;
  /** Per layer, the cells above this cut; absent: no per-layer counts. */
  readonly cut?: number;
  /** Over all cells, the cells above each of these cuts; absent or empty: no spectrum. */
  readonly spectrum?: readonly number[];
}

/** The per-voxel matrices of the lateral features: the layer one-hot times x, y, x², y² ([V, L] each). */
export interface LateralMatrices {
  readonly x: tf.Tensor2D;
  readonly y: tf.Tensor2D;
  readonly x2: tf.Tensor2D;
  readonly y2: tf.Tensor2D;
}

/**
 * The raw features of showers u = E_voxel/E_inc [n, V]: [n, 1 + L] = E_dep/E_inc, then the layer
 * fractions (E_l/E_inc) / (E_dep/E_inc + ε); with `lateral`, then [n, 4L] more: per layer the
 * centres ⟨x⟩, ⟨y⟩ and the widths √(⟨x²⟩ − ⟨x⟩² + floor), √(⟨y²⟩ − ⟨y⟩² + floor), each block of L
 * in layer order; with `hits`, then [n, L] more: per layer the soft count of cells above the cut
 * (`HIT_TEMPERATURE`), then [n, K]: the soft counts above each spectrum cut. No tidy here: it runs
 * inside gradient tapes.
 */
export function rawCriticFeatures(u: tf.Tensor2D, layerMatrix: tf.Tensor2D, lateral?: LateralMatrices, hits?: HitCounts): tf.Tensor2D {
  const perLayer = tf.matMul(u, layerMatrix); // [n, L], E_l / E_inc
  const total = tf.sum(perLayer, 1, true); // [n, 1], E_dep / E_inc
  const parts: tf.Tensor[] = [total, tf.div(perLayer, tf.add(total, FRACTION_EPSILON))];
  if (lateral) {
    const norm = tf.add(perLayer, LATERAL_EPSILON);
    const mean = (m: tf.Tensor2D) => tf.div(tf.matMul(u, m), norm);
    const cx = mean(lateral.x);
    const cy = mean(lateral.y);
    const width = (m2: tf.Tensor2D, c: tf.Tensor) => tf.sqrt(tf.add(tf.relu(tf.sub(mean(m2), tf.square(c))), WIDTH_FLOOR));
    parts.push(cx, cy, width(lateral.x2, cx), width(lateral.y2, cy));
  }
  if (hits && (hits.cut !== undefined || hits.spectrum?.length)) {
    const logMev = tf.log(tf.add(tf.mul(u, hits.energy), HIT_FLOOR_MEV));
    const above = (cut: number) => tf.sigmoid(tf.div(tf.sub(logMev, Math.log(cut)), HIT_TEMPERATURE));
    if (hits.cut !== undefined) parts.push(tf.matMul(above(hits.cut), layerMatrix));
    for (const c of hits.spectrum ?? []) parts.push(tf.sum(above(c), 1, true));
  }
  return tf.concat(parts, 1) as tf.Tensor2D;
}

/** [V, L] matrix holding `value(v)` in column `layers[v]` of row v (0 elsewhere). */
function perLayerMatrix(layers: Int32Array, value: (v: number) => number): tf.Tensor2D {
  const L = layers.reduce((a, l) => Math.max(a, l + 1), 0);
  const m = new Float32Array(layers.length * L);
  layers.forEach((l, v) => {
    m[v * L + l] = value(v);
  });
  return tf.tensor2d(m, [layers.length, L]);
}

/** One-hot [V, L] matrix of the voxels' layers. */
export const layerMatrix = (layers: Int32Array): tf.Tensor2D => perLayerMatrix(layers, () => 1);

/** The lateral matrices of voxels in `layers` at transverse centres `x`, `y` (one per voxel). */
export function lateralMatrices(layers: Int32Array, x: ArrayLike<number>, y: ArrayLike<number>): LateralMatrices {
  return {
    x: perLayerMatrix(layers, (v) => x[v]!),
    y: perLayerMatrix(layers, (v) => y[v]!),
    x2: perLayerMatrix(layers, (v) => x[v]! ** 2),
    y2: perLayerMatrix(layers, (v) => y[v]! ** 2),
  };
}

/** Number of features for a geometry with `layers` layers (4 more per layer with the lateral ones, 1 more with the hit counts, and `spectrum` cuts). */
export const criticFeatureCount = (layers: number, lateral = false, hits = false, spectrum = 0): number => 1 + layers + (lateral ? 4 * layers : 0) + (hits ? layers : 0) + spectrum;

/** Options of `fitCriticFeatures`. */
export interface CriticFeatureOptions {
  /** Factor on the standardised features (default 1). */
  factor?: number;
  /** Factor on the standardised lateral features (default `factor`). */
  lateralFactor?: number;
  /** Per layer, whether its lateral features count (default every layer); the others get factor 0. */
  lateralLayers?: readonly boolean[];
  /** Transverse voxel centres: when given, the per-layer centres and widths are features too. */
  centres?: { x: ArrayLike<number>; y: ArrayLike<number> };
  /**
   * When given, the per-layer soft counts of cells above `cut` MeV are features too, and with
   * `spectrum` = K the counts above K cuts at the quantiles of the training deposits; `energy`
   * holds E_inc (MeV) of every row of `x`.
   */
  hits?: { cut?: number; spectrum?: number; energy: ArrayLike<number> };
  /** Showers per chunk while fitting the constants (default: `FIT_CHUNK_VALUES` values, at most 4096 showers). */
  chunk?: number;
}

/** A fitted feature map: network values [n, V] → standardised features [n, size]. */
export interface CriticFeatureMap {
  readonly size: number;
  /** Whether `apply` needs the showers' E_inc (the hit counts are on). */
  readonly needsEnergy: boolean;
  /** The spectrum's cuts (MeV), fitted as quantiles of the training deposits; empty without a spectrum. */
  readonly spectrumCuts: readonly number[];
  /** The standardisation constants (mean and factor/std per feature; 0 for a constant feature). */
  readonly mean: Float32Array;
  readonly invStd: Float32Array;
  /** Standardised features of network values `x` [n, V]; `energyMeV` [n, 1], E_inc of each row, is required when `needsEnergy`. */
  apply(x: tf.Tensor2D, energyMeV?: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/** Rows `rows[start]` … `rows[start + m − 1]` of `x` ([n, V] row-major) copied into one [m, V] block. */
function rowBlock(x: Float32Array, voxels: number, rows: ArrayLike<number>, start: number, m: number): Float32Array {
  const out = new Float32Array(m * voxels);
  for (let i = 0; i < m; i++) {
    const r = rows[start + i]!;
    out.set(x.subarray(r * voxels, (r + 1) * voxels), i * voxels);
  }
  return out;
}

/**
 * Values ([showers, voxels]) per chunk while fitting the standardisation: the features' intermediate
 * tensors are a dozen of this size (with 8 spectrum cuts), and the process keeps what its largest
 * chunk needed. Chunks of 4096 showers left the ILD 30³ WGAN's training (5 000 showers, hit and
 * spectrum features) at 16.5 GB of RSS; chunks of 2²² values (155 such showers) at 2.5 GB.
 */
export const FIT_CHUNK_VALUES = 2 ** 22;

/** Showers per fitting chunk for `voxels` voxels: `FIT_CHUNK_VALUES` values, between 1 and 4096 showers. */
function fitChunk(voxels: number): number {
  return Math.max(1, Math.min(4096, Math.floor(FIT_CHUNK_VALUES / voxels)));
}

/** Rows of the training split the spectrum's cuts are fitted on (their positive deposits pooled). */
export const SPECTRUM_FIT_ROWS = 512;

/**
 * The quantiles k/(K + 1), k = 1 … K, of the positive deposits (MeV) of the first
 * `SPECTRUM_FIT_ROWS` of `rows` (values `x` [n, V] through `fraction`, times E_inc `energy`).
 */
export function depositQuantiles(x: Float32Array, voxels: number, rows: ArrayLike<number>, energy: ArrayLike<number>, fraction: (x: tf.Tensor2D) => tf.Tensor2D, K: number): number[] {
  const m = Math.min(rows.length, SPECTRUM_FIT_ROWS);
  const deposits: number[] = [];
  for (let s = 0; s < m; s += 64) {
    const k = Math.min(64, m - s);
    const u = tf.tidy(() => fraction(tf.tensor2d(rowBlock(x, voxels, rows, s, k), [k, voxels])).dataSync());
    for (let i = 0; i < k; i++) {
      const e = energy[rows[s + i]!]!;
      for (let v = i * voxels; v < (i + 1) * voxels; v++) if (u[v]! > 0) deposits.push(u[v]! * e);
    }
  }
  if (deposits.length === 0) throw new Error('critic features: no positive deposit in the training showers to fit the spectrum\'s cuts on');
  deposits.sort((a, b) => a - b);
  return Array.from({ length: K }, (_, j) => deposits[Math.min(deposits.length - 1, Math.floor(((j + 1) / (K + 1)) * deposits.length))]!);
}

/**
 * Fits the standardisation on the training rows of the encoded showers `x` ([n, V] row-major) and
 * returns the map (standardised features times `options.factor`); `fraction` maps network values
 * to u = E_voxel/E_inc (differentiably).
 */
export function fitCriticFeatures(
  x: Float32Array, voxels: number, rows: ArrayLike<number>, layers: Int32Array, fraction: (x: tf.Tensor2D) => tf.Tensor2D, options: CriticFeatureOptions = {},
): CriticFeatureMap {
  const { factor = 1, chunk = fitChunk(voxels), centres } = options;
  const lateralFactor = options.lateralFactor ?? factor;
  const M = layerMatrix(layers);
  const lat = centres ? lateralMatrices(layers, centres.x, centres.y) : undefined;
  const L = M.shape[1];
  const hits = options.hits;
  const spectrumCuts = hits?.spectrum ? depositQuantiles(x, voxels, rows, hits.energy, fraction, hits.spectrum) : [];
  const counts = hits ? { cut: hits.cut, spectrum: spectrumCuts } : undefined;
  const size = criticFeatureCount(L, lat !== undefined, hits?.cut !== undefined, spectrumCuts.length);
  const sum = new Float64Array(size);
  const sq = new Float64Array(size);
  for (let s = 0; s < rows.length; s += chunk) {
    const m = Math.min(chunk, rows.length - s);
    const xb = rowBlock(x, voxels, rows, s, m);
    const f = tf.tidy(() => {
      const e = counts ? { ...counts, energy: tf.tensor2d(Float32Array.from({ length: m }, (_, i) => hits!.energy[rows[s + i]!]!), [m, 1]) } : undefined;
      return rawCriticFeatures(fraction(tf.tensor2d(xb, [m, voxels])), M, lat, e);
    });
    const d = f.dataSync();
    f.dispose();
    for (let i = 0; i < m; i++) {
      for (let k = 0; k < size; k++) {
        const v = d[i * size + k]!;
        sum[k]! += v;
        sq[k]! += v * v;
      }
    }
  }
  const n = Math.max(1, rows.length);
  const mean = new Float32Array(size);
  const invStd = new Float32Array(size);
  // Blocks: [E_dep, L fractions] (energy factor), 4L lateral (lateral factor, per-layer switch), L hit counts (energy factor).
  const lateralEnd = 1 + L + (lat ? 4 * L : 0);
  for (let k = 0; k < size; k++) {
    mean[k] = sum[k]! / n;
    const std = Math.sqrt(Math.max(0, sq[k]! / n - (sum[k]! / n) ** 2));
    const lateralFeature = k >= 1 + L && k < lateralEnd;
    const on = !lateralFeature || (options.lateralLayers?.[(k - 1 - L) % L] ?? true);
    invStd[k] = std > 1e-6 && on ? (lateralFeature ? lateralFactor : factor) / std : 0;
  }
  const meanT = tf.tensor2d(mean, [1, size]);
  const invT = tf.tensor2d(invStd, [1, size]);
  return {
    size,
    needsEnergy: hits !== undefined,
    spectrumCuts,
    mean,
    invStd,
    apply: (v, energyMeV) => {
      if (hits && !energyMeV) throw new Error('critic features: the hit counts need each shower\'s E_inc (energyMeV)');
      const h = counts && energyMeV ? { ...counts, energy: energyMeV } : undefined;
      return tf.mul(tf.sub(rawCriticFeatures(fraction(v), M, lat, h), meanT), invT) as tf.Tensor2D;
    },
    dispose: () => tf.dispose([M, meanT, invT, ...(lat ? [lat.x, lat.y, lat.x2, lat.y2] : [])]),
  };
}

/** A model's critic-feature settings (the WGAN's and the BIB-AE's `dense` config keys). */
export interface CriticFeatureSettings {
  /** E_dep/E_inc and the layer fractions. */
  criticFeatures: boolean;
  /** Also each layer's transverse centres and widths. */
  criticLateralFeatures: boolean;
  /** Which layers' lateral features count: `all`, or `angular` (layers with more than one angular bin; cylindrical geometries). */
  criticLateralLayers: 'all' | 'angular';
  /** Factors on the standardised energy and lateral features. */
  criticFeatureScale: number;
  criticLateralScale: number;
  /** Also each layer's soft count of cells above `criticHitCut` MeV (with `criticFeatures`, as the lateral ones; factor `criticFeatureScale`); absent: off. */
  criticHitFeatures?: boolean;
  /** The hit counts' cut in MeV (default 0.1, the ILD MIP cut). */
  criticHitCut?: number;
  /** K > 0: also the shower's cell-energy spectrum, the soft counts above K quantiles of the training deposits (with `criticFeatures`; factor `criticFeatureScale`); absent or 0: off. */
  criticSpectrumCuts?: number;
}

/** The hit counts' default cut (MeV): the 0.1 MeV MIP cut of the ILD n_hit (field-reference.md §5.1). */
export const DEFAULT_HIT_CUT_MEV = 0.1;

/** What is wrong with critic-feature settings whose keys sit under `prefix`: [key, why] pairs, none when the values are valid. */
export function criticFeatureSettingsProblems(s: CriticFeatureSettings, prefix = 'dense.'): [string, string][] {
  const out: [string, string][] = [];
  if (!['all', 'angular'].includes(s.criticLateralLayers)) out.push([`${prefix}criticLateralLayers`, `must be one of all, angular; found ${JSON.stringify(s.criticLateralLayers)}`]);
  if (!(s.criticFeatureScale > 0)) out.push([`${prefix}criticFeatureScale`, `must be > 0, found ${s.criticFeatureScale}`]);
  if (!(s.criticLateralScale > 0)) out.push([`${prefix}criticLateralScale`, `must be > 0, found ${s.criticLateralScale}`]);
  if (s.criticHitCut !== undefined && !(s.criticHitCut > 0)) out.push([`${prefix}criticHitCut`, `must be > 0 (MeV), found ${s.criticHitCut}`]);
  if (s.criticSpectrumCuts !== undefined && !(Number.isInteger(s.criticSpectrumCuts) && s.criticSpectrumCuts >= 0)) out.push([`${prefix}criticSpectrumCuts`, `must be a non-negative integer, found ${s.criticSpectrumCuts}`]);
  return out;
}

/** The critic's extra input width for `settings` on `geometry` (0 when the features are off). */
export function criticFeatureWidth(geometry: Geometry, settings: CriticFeatureSettings): number {
  return settings.criticFeatures ? criticFeatureCount(layerSlices(geometry).length, settings.criticLateralFeatures, settings.criticHitFeatures === true, settings.criticSpectrumCuts ?? 0) : 0;
}

/**
 * The feature map of `settings` fitted on the training split of `data` (null when the features are
 * off); `model` names the plugin in the error for a representation not relative to E_inc.
 */
export function fitCriticFeaturesFor(data: TrainingData, geometry: Geometry, settings: CriticFeatureSettings, model: string): CriticFeatureMap | null {
  if (!settings.criticFeatures) return null;
  const fraction = data.repr.fractionTf;
  if (!fraction) throw new Error(`${model}: dense.criticFeatures needs a representation relative to E_inc, not "${data.repr.name}"`);
  return fitCriticFeatures(data.x, data.voxels, data.trainRows, voxelLayers(geometry), fraction, {
    factor: settings.criticFeatureScale,
    lateralFactor: settings.criticLateralScale,
    lateralLayers: settings.criticLateralLayers === 'angular' && geometry.kind === 'cylindrical' ? geometry.layers.map((l) => l.nAlpha > 1) : undefined,
    centres: settings.criticLateralFeatures ? cellCentres(geometry) : undefined,
    hits: settings.criticHitFeatures || (settings.criticSpectrumCuts ?? 0) > 0
      ? { cut: settings.criticHitFeatures ? (settings.criticHitCut ?? DEFAULT_HIT_CUT_MEV) : undefined, spectrum: settings.criticSpectrumCuts || undefined, energy: data.energy }
      : undefined,
  });
}
