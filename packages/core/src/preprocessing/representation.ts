/**
 * What the networks see, per variant, and the way back to MeV on both runtimes.
 *
 * - `mev` (conv variant, as published, field-reference.md §4.4 and §5.1): network values are the
 *   cell energies in MeV, the condition is the incident energy in GeV; the generator's ReLU
 *   output is the shower.
 * - dense variant (`dense.representation`), with u = E_voxel / E_inc and u_max the largest u of
 *   the training split (fitted once, written to config.json `preprocessing.scale` = 1 / u_max):
 *   - `sqrt-fraction` (the first dense default): x = √(u / u_max) ∈ [0, 1]; spreads the small
 *     deposits (u from 10⁻⁶·u_max up is x ≥ 10⁻³) while an error δx at x changes u by only
 *     2x·δx·u_max;
 *   - `root-fraction` (the dense recipe's, k = 4): x = (u / u_max)^(1/k), k = `dense.root` (an
 *     integer; decoded by k − 1 multiplications): k = 4 lifts a 1 MeV deposit of a 4 TeV shower
 *     (u ≈ 2.4·10⁻⁷) from x ≈ 8·10⁻⁴ (√) to x ≈ 0.03, where the networks can tell it from an
 *     empty cell, at the price of δu = k·x^(k−1)·δx·u_max at the top;
 *   - `fraction`: x = u / u_max, linear (E_dep/E_inc is a sum the critic sees directly; the many
 *     small deposits sit at x ≈ 0);
 *   - `log-fraction`: x = ln(1 + u/δ) / ln(1 + 1/δ), δ = 1e-6 (resolves small deposits best, but
 *     an excess at the top is amplified exponentially).
 *   On dataset-1 photons, 2-minute runs (README) gave mean separation power 0.30 / 0.35 / 0.32 and
 *   generated/reference E_dep/E_inc at 4 TeV of 1.4 / 1.0 / 44 for sqrt / linear / log.
 *
 * Dense conditions are c = (log10(E_inc / MeV) − 4.5) / 2, i.e. [−1, 1] for 1 GeV … 1 TeV (about
 * [−1.05, 1.05] on CaloChallenge's 256 MeV … 4.2 TeV). Generation inverts x exactly (the ReLU
 * output keeps u ≥ 0). The condition is computed here in JavaScript for both runtimes (the ONNX
 * graph takes it as an input), so that it does not depend on how a runtime vectorises its logarithm.
 */
import { tf } from '../device/tf.js';
import type { OnnxGraphBuilder } from '../onnx/builder.js';
import type { OnnxValue } from '../onnx/types.js';
import { readoutThreshold } from '../train/validation-score.js';

/** The representations. */
export type RepresentationName = 'mev' | 'fraction' | 'sqrt-fraction' | 'root-fraction' | 'log-fraction';

/** δ of the log-fraction transform. */
export const LOG_DELTA = 1e-6;
const LOG_NORM = Math.log1p(1 / LOG_DELTA);

/** Maps showers and incident energies to network values and conditions, and network values back to MeV. */
export interface Representation {
  readonly name: RepresentationName;
  /** Constants written to config.json `preprocessing`. */
  readonly constants: Record<string, unknown>;
  /** Network condition per incident energy (MeV). */
  condition(energyMeV: ArrayLike<number>): Float32Array;
  /** Network values of one shower (`out` receives `values.length` numbers; negative deposits count as 0). */
  encode(values: Float32Array, energyMeV: number, out: Float32Array): void;
  /** Showers in MeV from network values x [n, V] and energies [n, 1] (MeV), TF.js. */
  decode(x: tf.Tensor2D, energyMeV: tf.Tensor2D): tf.Tensor2D;
  /** `decode` in an ONNX graph. */
  decodeOnnx(g: OnnxGraphBuilder, x: OnnxValue, energyMeV: OnnxValue): OnnxValue;
  /**
   * u = E_voxel / E_inc from network values x [n, V], differentiable (TF.js; the critic's physics
   * features, `train/critic-features.ts`); null for `mev`, whose values are not relative to E_inc.
   */
  readonly fractionTf: ((x: tf.Tensor2D) => tf.Tensor2D) | null;
  /** The readout threshold (MeV) decoding applies (`withReadout`); 0 or absent: none. */
  readonly threshold?: number;
}

const mev: Representation = {
  name: 'mev',
  constants: { representation: 'mev', condition: 'E_inc / 1000 (GeV)' },
  condition: (e) => Float32Array.from(e, (v) => v / 1000),
  encode: (values, _e, out) => {
    for (let i = 0; i < values.length; i++) out[i] = Math.max(0, values[i]!);
  },
  decode: (x) => x,
  decodeOnnx: (_g, x) => x,
  fractionTf: null,
};

/**
 * exp(t) for t [n, V], with the rows padded to a multiple of 16 values: TensorFlow's vectorised
 * exp and its scalar tail round differently, so without the padding a voxel's value depended on
 * its position in the batch (seen on dataset 3, V = 40 500) and TF.js generation on the batch size.
 */
function alignedExp(t: tf.Tensor2D): tf.Tensor2D {
  const V = t.shape[1];
  const pad = (16 - (V % 16)) % 16;
  return pad ? tf.slice(tf.exp(tf.pad(t, [[0, 0], [0, pad]])), [0, 0], [-1, V]) : tf.exp(t);
}

/** Dense conditions: (log10(E_inc / MeV) − 4.5) / 2. */
const logEnergy = (e: ArrayLike<number>): Float32Array => Float32Array.from(e, (v) => (Math.log10(v) - 4.5) / 2);

const logFraction: Representation = {
  name: 'log-fraction',
  constants: { representation: 'log-fraction', delta: LOG_DELTA, condition: '(log10(E_inc / MeV) - 4.5) / 2' },
  condition: logEnergy,
  encode: (values, e, out) => {
    for (let i = 0; i < values.length; i++) out[i] = Math.log1p(Math.max(0, values[i]!) / e / LOG_DELTA) / LOG_NORM;
  },
  decode: (x, e) => tf.mul(tf.mul(tf.sub(alignedExp(tf.mul(x, LOG_NORM)), 1), LOG_DELTA), e),
  decodeOnnx: (g, x, e) => g.mul(g.mul(g.sub(g.exp(g.mul(x, LOG_NORM)), 1), LOG_DELTA), e),
  fractionTf: (x) => tf.mul(tf.sub(alignedExp(tf.mul(x, LOG_NORM)), 1), LOG_DELTA) as tf.Tensor2D,
};

/** x^k by k − 1 multiplications, the same sequence on both runtimes (no Pow: its rounding is the runtime's). */
function powTf(x: tf.Tensor2D, k: number): tf.Tensor2D {
  let p = x;
  for (let i = 1; i < k; i++) p = tf.mul(p, x);
  return p;
}
function powOnnx(g: OnnxGraphBuilder, x: OnnxValue, k: number): OnnxValue {
  let p = x;
  for (let i = 1; i < k; i++) p = g.mul(p, x);
  return p;
}

/**
 * x = ((E_voxel / E_inc) · `scale`)^(1/k): `fraction` (k = 1), `sqrt-fraction` (k = 2) or
 * `root-fraction` (any integer k, `dense.root`); decoded as x^k by multiplications.
 */
function fraction(scale: number, name: 'fraction' | 'sqrt-fraction' | 'root-fraction', k: number): Representation {
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`representation ${name}: the root must be a positive integer, found ${k}`);
  return {
    name,
    constants: { representation: name, scale, ...(name === 'root-fraction' ? { root: k } : {}), condition: '(log10(E_inc / MeV) - 4.5) / 2' },
    condition: logEnergy,
    encode: (values, e, out) => {
      for (let i = 0; i < values.length; i++) {
        const u = (Math.max(0, values[i]!) / e) * scale;
        out[i] = k === 1 ? u : k === 2 ? Math.sqrt(u) : Math.pow(u, 1 / k);
      }
    },
    decode: (x, e) => tf.mul(tf.div(powTf(x, k), scale), e),
    decodeOnnx: (g, x, e) => g.mul(g.div(powOnnx(g, x, k), scale), e),
    fractionTf: (x) => tf.div(powTf(x, k), scale) as tf.Tensor2D,
  };
}

/** The `fraction` scale of showers: 1 / the largest E_voxel / E_inc among `rows` (1 when all are empty). */
export function fitFractionScale(values: Float32Array, energy: Float32Array, voxels: number, rows: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    const e = energy[r]!;
    for (let v = r * voxels; v < (r + 1) * voxels; v++) max = Math.max(max, values[v]! / e);
  }
  return max > 0 ? 1 / max : 1;
}

/**
 * The representation of a config: `mev` for `conv`; for `dense` the one `dense.representation`
 * names (the fraction family with `scale`, which training fits, or `log-fraction`).
 */
export function representationFor(config: { architecture: 'conv' | 'dense'; dense: { representation: DenseRepresentation; root?: number } }, scale = 1): Representation {
  if (config.architecture === 'conv') return mev;
  const r = config.dense.representation;
  if (r === 'log-fraction') return logFraction;
  return fraction(scale, r, r === 'fraction' ? 1 : r === 'sqrt-fraction' ? 2 : (config.dense.root ?? 4));
}

/**
 * `repr` with a readout threshold: decoded deposits below `threshold` MeV become 0, on both
 * runtimes (the data's smallest deposit, `dense.readoutThreshold`: the generator's cells then
 * pass the same readout as the training showers'). Written to config.json `preprocessing.threshold`.
 */
export function withReadout(repr: Representation, threshold: number): Representation {
  if (!(threshold > 0)) return repr;
  return {
    ...repr,
    constants: { ...repr.constants, threshold },
    threshold,
    decode: (x, e) => {
      const s = repr.decode(x, e);
      return tf.mul(s, tf.cast(tf.greaterEqual(s, threshold), 'float32')) as tf.Tensor2D;
    },
    decodeOnnx: (g, x, e) => {
      const s = repr.decodeOnnx(g, x, e);
      return g.mul(s, g.cast(g.greaterOrEqual(s, threshold), 'float32'));
    },
  };
}

/**
 * `repr` with its network condition multiplied by `scale` (1: `repr` itself). The dense
 * conditions span ±0.25 over 10–100 GeV; a wider span gives the energy more weight beside the
 * noise in the networks' first layers. Written to config.json `preprocessing.conditionScale`.
 */
export function withConditionScale(repr: Representation, scale: number): Representation {
  if (!(Number.isFinite(scale) && scale > 0)) throw new RangeError(`condition scale must be a finite number > 0, found ${scale}`);
  if (scale === 1) return repr;
  return {
    ...repr,
    constants: { ...repr.constants, conditionScale: scale },
    condition: (e) => repr.condition(e).map((v) => v * scale),
  };
}

/** Network value of a deposit of `threshold` MeV at each incident energy (MeV), [n]: the readout threshold in training. */
export function thresholdValues(repr: Representation, threshold: number, energyMeV: ArrayLike<number>): Float32Array {
  const out = new Float32Array(energyMeV.length);
  const one = new Float32Array(1);
  const t = Float32Array.of(threshold);
  for (let i = 0; i < out.length; i++) {
    repr.encode(t, energyMeV[i]!, one);
    out[i] = one[0]!;
  }
  return out;
}

/** Whether a representation carries a fitted `scale` (config.json `preprocessing.scale`). */
export const hasScale = (name: RepresentationName): boolean => name === 'fraction' || name === 'sqrt-fraction' || name === 'root-fraction';

/** The dense variant's choices. */
export type DenseRepresentation = 'fraction' | 'sqrt-fraction' | 'root-fraction' | 'log-fraction';

/** What `fitRepresentation` reads from a model's config. */
export interface RepresentationConfig {
  architecture: 'conv' | 'dense';
  dense: { representation: DenseRepresentation; root?: number; readoutThreshold: boolean };
}

/**
 * The representation of a config fitted on the training rows of raw showers: the fraction scale
 * (1 / the largest E_voxel / E_inc) where the representation has one, and the data's readout
 * threshold (its smallest deposit) when `dense.readoutThreshold` is on; `mev` as it is.
 */
export function fitRepresentation(config: RepresentationConfig, values: Float32Array, energy: Float32Array, voxels: number, rows: ArrayLike<number>): Representation {
  const base = representationFor(config);
  if (base.name === 'mev') return base;
  const scale = hasScale(base.name) ? fitFractionScale(values, energy, voxels, rows) : 1;
  const threshold = config.dense.readoutThreshold ? readoutThreshold(values, voxels, rows) : 0;
  return withReadout(representationFor(config, scale), threshold);
}
