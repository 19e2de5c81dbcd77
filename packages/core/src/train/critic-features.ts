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
 * in layer order. No tidy here: it runs inside gradient tapes.
 */
export function rawCriticFeatures(u: tf.Tensor2D, layerMatrix: tf.Tensor2D, lateral?: LateralMatrices): tf.Tensor2D {
  const perLayer = tf.matMul(u, layerMatrix); // [n, L], E_l / E_inc
  const total = tf.sum(perLayer, 1, true); // [n, 1], E_dep / E_inc
  const energy = [total, tf.div(perLayer, tf.add(total, FRACTION_EPSILON))];
  if (!lateral) return tf.concat(energy, 1) as tf.Tensor2D;
  const norm = tf.add(perLayer, LATERAL_EPSILON);
  const mean = (m: tf.Tensor2D) => tf.div(tf.matMul(u, m), norm);
  const cx = mean(lateral.x);
  const cy = mean(lateral.y);
  const width = (m2: tf.Tensor2D, c: tf.Tensor) => tf.sqrt(tf.add(tf.relu(tf.sub(mean(m2), tf.square(c))), WIDTH_FLOOR));
  return tf.concat([...energy, cx, cy, width(lateral.x2, cx), width(lateral.y2, cy)], 1) as tf.Tensor2D;
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

/** Number of features for a geometry with `layers` layers (4 more per layer with the lateral ones). */
export const criticFeatureCount = (layers: number, lateral = false): number => 1 + layers + (lateral ? 4 * layers : 0);

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
  /** Showers per chunk while fitting the constants (default 4096). */
  chunk?: number;
}

/** A fitted feature map: network values [n, V] → standardised features [n, size]. */
export interface CriticFeatureMap {
  readonly size: number;
  /** The standardisation constants (mean and factor/std per feature; 0 for a constant feature). */
  readonly mean: Float32Array;
  readonly invStd: Float32Array;
  apply(x: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/**
 * Fits the standardisation on the training rows of the encoded showers `x` ([n, V] row-major) and
 * returns the map (standardised features times `options.factor`); `fraction` maps network values
 * to u = E_voxel/E_inc (differentiably).
 */
export function fitCriticFeatures(
  x: Float32Array, voxels: number, rows: ArrayLike<number>, layers: Int32Array, fraction: (x: tf.Tensor2D) => tf.Tensor2D, options: CriticFeatureOptions = {},
): CriticFeatureMap {
  const { factor = 1, chunk = 4096, centres } = options;
  const lateralFactor = options.lateralFactor ?? factor;
  const M = layerMatrix(layers);
  const lat = centres ? lateralMatrices(layers, centres.x, centres.y) : undefined;
  const L = M.shape[1];
  const size = criticFeatureCount(L, lat !== undefined);
  const sum = new Float64Array(size);
  const sq = new Float64Array(size);
  for (let s = 0; s < rows.length; s += chunk) {
    const m = Math.min(chunk, rows.length - s);
    const xb = new Float32Array(m * voxels);
    for (let i = 0; i < m; i++) {
      const r = rows[s + i]!;
      xb.set(x.subarray(r * voxels, (r + 1) * voxels), i * voxels);
    }
    const f = tf.tidy(() => rawCriticFeatures(fraction(tf.tensor2d(xb, [m, voxels])), M, lat));
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
  for (let k = 0; k < size; k++) {
    mean[k] = sum[k]! / n;
    const std = Math.sqrt(Math.max(0, sq[k]! / n - (sum[k]! / n) ** 2));
    const energyFeature = k < 1 + L;
    const on = energyFeature || (options.lateralLayers?.[(k - 1 - L) % L] ?? true);
    invStd[k] = std > 1e-6 && on ? (energyFeature ? factor : lateralFactor) / std : 0;
  }
  const meanT = tf.tensor2d(mean, [1, size]);
  const invT = tf.tensor2d(invStd, [1, size]);
  return {
    size,
    mean,
    invStd,
    apply: (v) => tf.mul(tf.sub(rawCriticFeatures(fraction(v), M, lat), meanT), invT) as tf.Tensor2D,
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
}

/** What is wrong with critic-feature settings whose keys sit under `prefix`: [key, why] pairs, none when the values are valid. */
export function criticFeatureSettingsProblems(s: CriticFeatureSettings, prefix = 'dense.'): [string, string][] {
  const out: [string, string][] = [];
  if (!['all', 'angular'].includes(s.criticLateralLayers)) out.push([`${prefix}criticLateralLayers`, `must be one of all, angular; found ${JSON.stringify(s.criticLateralLayers)}`]);
  if (!(s.criticFeatureScale > 0)) out.push([`${prefix}criticFeatureScale`, `must be > 0, found ${s.criticFeatureScale}`]);
  if (!(s.criticLateralScale > 0)) out.push([`${prefix}criticLateralScale`, `must be > 0, found ${s.criticLateralScale}`]);
  return out;
}

/** The critic's extra input width for `settings` on `geometry` (0 when the features are off). */
export function criticFeatureWidth(geometry: Geometry, settings: CriticFeatureSettings): number {
  return settings.criticFeatures ? criticFeatureCount(layerSlices(geometry).length, settings.criticLateralFeatures) : 0;
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
  });
}
