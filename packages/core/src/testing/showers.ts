/**
 * Checks the shipped-model tests of the conv plugins share: the mean visible energy and hit count
 * after a MIP cut (field-reference.md §5.1), and how far ONNX Runtime's showers are from TF.js's.
 */
import type { Generator } from '../model/interfaces.js';

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

/** Largest |TF.js − ONNX Runtime| cell difference, and the largest TF.js cell, of `model`'s showers at `energy` (MeV) for one seed. */
export async function runtimeDifference(model: Generator, energy: Float32Array, seed: number): Promise<{ difference: number; max: number }> {
  const tf = await model.generate({ energy }, { seed, runtime: 'tfjs' });
  const ort = await model.generate({ energy }, { seed });
  let difference = 0;
  let max = 0;
  for (let i = 0; i < tf.values.length; i++) {
    difference = Math.max(difference, Math.abs(tf.values[i]! - ort.values[i]!));
    max = Math.max(max, tf.values[i]!);
  }
  return { difference, max };
}
