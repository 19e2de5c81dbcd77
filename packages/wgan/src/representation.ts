/**
 * What the networks see, per variant, and the way back to MeV on both runtimes.
 *
 * - `mev` (conv variant, as published, field-reference.md §4.4 and §5.1): network values are the
 *   cell energies in MeV, the condition is the incident energy in GeV; the generator's ReLU
 *   output is the shower.
 * - dense variant (`dense.representation`), with u = E_voxel / E_inc and u_max the largest u of
 *   the training split (fitted once, written to config.json `preprocessing.scale` = 1 / u_max):
 *   - `sqrt-fraction` (default): x = √(u / u_max) ∈ [0, 1]; spreads the small deposits (u from
 *     10⁻⁶·u_max up is x ≥ 10⁻³) while an error δx at x changes u by only 2x·δx·u_max;
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
import { tf, type OnnxGraphBuilder, type OnnxValue } from '@calozoo/core';

/** The representations. */
export type RepresentationName = 'mev' | 'fraction' | 'sqrt-fraction' | 'log-fraction';

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
};

/** x = (E_voxel / E_inc) · `scale` (`fraction`), or its square root (`sqrt-fraction`). */
function fraction(scale: number, sqrt = false): Representation {
  const name = sqrt ? 'sqrt-fraction' : 'fraction';
  return {
    name,
    constants: { representation: name, scale, condition: '(log10(E_inc / MeV) - 4.5) / 2' },
    condition: logEnergy,
    encode: (values, e, out) => {
      for (let i = 0; i < values.length; i++) {
        const u = (Math.max(0, values[i]!) / e) * scale;
        out[i] = sqrt ? Math.sqrt(u) : u;
      }
    },
    decode: (x, e) => tf.mul(tf.div(sqrt ? tf.mul(x, x) : x, scale), e),
    decodeOnnx: (g, x, e) => g.mul(g.div(sqrt ? g.mul(x, x) : x, scale), e),
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
 * names (`fraction` with `scale`, which training fits, or `log-fraction`).
 */
export function representationFor(config: { architecture: 'conv' | 'dense'; dense: { representation: DenseRepresentation } }, scale = 1): Representation {
  if (config.architecture === 'conv') return mev;
  return config.dense.representation === 'log-fraction' ? logFraction : fraction(scale, config.dense.representation === 'sqrt-fraction');
}

/** The dense variant's choices. */
export type DenseRepresentation = 'fraction' | 'sqrt-fraction' | 'log-fraction';
