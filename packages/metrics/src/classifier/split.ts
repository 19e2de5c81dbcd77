/**
 * Per-class train/test/validation split of the classifier test (field-reference.md §2.4 step 1):
 * both classes are cut to the smaller size, shuffled, and split in the official proportions
 * (DS1 γ 80 000/20 000/21 000, DS1 π 80 000/20 000/20 800, DS2/DS3 60 000/20 000/20 000 of the
 * reference sizes), scaled to the sample size. The official code shuffles with NumPy's unseeded
 * global RNG; here the shuffle uses a seeded `Rng`, so a split is reproducible.
 */
import { InvalidArgumentError, type Rng } from '@calozoo/core';
import type { DatasetKind } from '../dataset.js';

/** Fractions of the per-class sample going to train, test and validation. */
export type SplitFractions = readonly [number, number, number];

/** The official per-class split proportions for a dataset family (others: DS2/DS3's 0.6/0.2/0.2). */
export function officialSplitFractions(kind: DatasetKind | string): SplitFractions {
  if (kind === 'ds1-photons') return [80 / 121, 20 / 121, 21 / 121];
  if (kind === 'ds1-pions') return [80 / 120.8, 20 / 120.8, 20.8 / 120.8];
  return [0.6, 0.2, 0.2];
}

/** Row indices of one class in each split. */
export interface ClassSplit {
  /** Training rows. */
  train: Uint32Array;
  /** Test rows (epoch selection and calibration). */
  test: Uint32Array;
  /** Validation rows (the reported AUC and JSD). */
  val: Uint32Array;
}

/**
 * Splits the first `n` rows of a class: a seeded shuffle, then floor(n·f_train) training and
 * floor(n·f_test) test rows, the rest validation (as `np.split` at the cumulative counts).
 */
export function splitClass(n: number, fractions: SplitFractions, rng: Rng): ClassSplit {
  const [a, b, c] = fractions;
  if (!(a > 0 && b > 0 && c > 0) || Math.abs(a + b + c - 1) > 1e-9) {
    throw new InvalidArgumentError(`split fractions must be positive and sum to 1, got [${fractions.join(', ')}]`);
  }
  const nTrain = Math.floor(n * a);
  const nTest = Math.floor(n * b);
  if (nTrain < 1 || nTest < 1 || n - nTrain - nTest < 1) {
    throw new InvalidArgumentError(`classifier test: ${n} rows per class are too few to split [${fractions.map((f) => f.toFixed(3)).join(', ')}]; pass more showers`);
  }
  const p = rng.permutation(n);
  return { train: p.slice(0, nTrain), test: p.slice(nTrain, nTrain + nTest), val: p.slice(nTrain + nTest) };
}
