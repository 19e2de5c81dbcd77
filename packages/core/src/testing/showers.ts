/**
 * Checks the shipped-model tests of the conv plugins share: the mean visible energy and hit count
 * after a MIP cut (field-reference.md §5.1), and how far ONNX Runtime's showers are from TF.js's.
 */
import type { Generator } from '../model/interfaces.js';
import type { Conditions } from '../showers.js';

/** Mean E_vis (MeV) and mean n_hit per shower over cells ≥ `cut` MeV (0.1 MeV, the ILD MIP cut) of n showers. */
export function mipSummary(values: Float32Array, n: number, voxels: number, cut = 0.1): { evis: number; nhit: number } {
  let e = 0;
  let h = 0;
  for (let i = 0; i < n * voxels; i++) {
    const v = values[i]!;
    if (v >= cut) {
      e += v;
      h++;
    }
  }
  return { evis: e / n, nhit: h / n };
}

/** Largest |a − b| over two arrays of one length. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`maxAbsDiff: ${a.length} and ${b.length} values`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Largest |TF.js − ONNX Runtime| cell difference, and the largest TF.js cell, of `model`'s showers for `conditions` and one seed. */
export async function runtimeDifference(model: Generator, conditions: Conditions, seed: number): Promise<{ difference: number; max: number }> {
  const tf = await model.generate(conditions, { seed, runtime: 'tfjs' });
  const ort = await model.generate(conditions, { seed, runtime: 'onnx' });
  return { difference: maxAbsDiff(tf.values, ort.values), max: tf.values.reduce((m, v) => Math.max(m, v), 0) };
}
