/**
 * Correlation matrices of high-level quantities (field-reference.md §5.3): Pearson correlations
 * of 12 quantities on up to 30 000 showers, compared through the difference matrix
 * reference − generated and its summed absolute lower triangle.
 */
import { column, type FeatureTable } from '../features/extractor.js';

/** The 12 quantities of §5.3 for grids (x, y, z in cell units). */
export const GRID_CORRELATION_QUANTITIES = ['m1_x', 'm1_y', 'm1_z', 'm2_x', 'm2_y', 'm2_z', 'E_dep', 'E_inc', 'n_hit', 'E1/E_dep', 'E2/E_dep', 'E3/E_dep'];

/** The same 12 quantities for cylindrical binnings, with x_eta, x_phi (mm) as transverse axes. */
export const CYLINDRICAL_CORRELATION_QUANTITIES = ['m1_eta', 'm1_phi', 'm1_z', 'm2_eta', 'm2_phi', 'm2_z', 'E_dep', 'E_inc', 'n_hit', 'E1/E_dep', 'E2/E_dep', 'E3/E_dep'];

/** Pearson correlation matrix (row-major, NaN where a quantity is constant). */
export function correlationMatrix(t: FeatureTable, names: readonly string[], maxRows = 30_000): number[][] {
  const n = Math.min(t.n, maxRows);
  const cols = names.map((name) => {
    const x = column(t, name).subarray(0, n);
    let s = 0;
    for (let i = 0; i < n; i++) s += x[i];
    const mu = s / n;
    const c = new Float64Array(n);
    let ss = 0;
    for (let i = 0; i < n; i++) {
      c[i] = x[i] - mu;
      ss += c[i] * c[i];
    }
    return { c, norm: Math.sqrt(ss) };
  });
  return cols.map((a) =>
    cols.map((b) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += a.c[i] * b.c[i];
      return s / (a.norm * b.norm);
    }),
  );
}

/** Correlation comparison of two samples. */
export interface CorrelationComparison {
  /** Quantities, in matrix order. */
  names: string[];
  /** Reference correlation matrix. */
  reference: number[][];
  /** Generated correlation matrix. */
  generated: number[][];
  /** Σ over the strict lower triangle of |reference − generated| (NaN entries skipped). */
  sumAbsDifference: number;
}

/** Compares the correlation matrices of the quantities that exist for the geometry. */
export function compareCorrelations(ref: FeatureTable, gen: FeatureTable, maxRows = 30_000): CorrelationComparison {
  const names = ref.schema.grid ? GRID_CORRELATION_QUANTITIES : CYLINDRICAL_CORRELATION_QUANTITIES;
  const reference = correlationMatrix(ref, names, maxRows);
  const generated = correlationMatrix(gen, names, maxRows);
  let sum = 0;
  for (let i = 0; i < names.length; i++) {
    for (let j = 0; j < i; j++) {
      const d = Math.abs(reference[i][j] - generated[i][j]);
      if (Number.isFinite(d)) sum += d;
    }
  }
  return { names: [...names], reference, generated, sumAbsDifference: sum };
}
