/**
 * The CaloChallenge `cls-high` feature vector used by FPD and KPD (field-reference.md §2.4,
 * §2.5): [log10 E_inc, log10(E_layer + 1e-8)…, EC_eta/100…, EC_phi/100…, Width_eta/100…,
 * Width_phi/100…, log10(E_tot + 1e-8), Sparsity…, EC_r/100…, Width_r/100…] — 30 dimensions for
 * DS1 photons, 46 for DS1 pions, 362 for DS2/DS3; grids use x/y in place of eta/phi.
 */
import { column, type FeatureTable } from '../features/extractor.js';
import { layerColumnName, type LayerGroup } from '../features/schema.js';

/** A row-major n×d feature matrix. */
export interface FeatureMatrix {
  /** Rows. */
  n: number;
  /** Columns. */
  d: number;
  /** Values, row-major. */
  data: Float64Array;
  /** Column names. */
  names: string[];
}

/** Builds the cls-high matrix of a feature table. */
export function clsHighFeatures(t: FeatureTable): FeatureMatrix {
  const s = t.schema;
  const cols: { name: string; src: Float64Array; f: (v: number) => number }[] = [];
  const log = (v: number): number => Math.log10(v + 1e-8);
  const div = (v: number): number => v / 1e2;
  const id = (v: number): number => v;
  cols.push({ name: 'log10(E_inc)', src: column(t, 'E_inc'), f: Math.log10 });
  const per = (group: LayerGroup, f: (v: number) => number, transverseOnly: boolean): void => {
    for (const L of s.layers) {
      if (transverseOnly && !L.transverse) continue;
      const name = layerColumnName(s, group, L.id);
      cols.push({ name, src: column(t, name), f });
    }
  };
  per('E_layer', log, false);
  per('EC_a', div, true);
  per('EC_b', div, true);
  per('Width_a', div, true);
  per('Width_b', div, true);
  cols.push({ name: 'log10(E_dep)', src: column(t, 'E_dep'), f: log });
  per('Sparsity', id, false);
  per('EC_r', div, false);
  per('Width_r', div, false);
  const d = cols.length;
  const n = t.n;
  const data = new Float64Array(n * d);
  cols.forEach((c, j) => {
    for (let r = 0; r < n; r++) data[r * d + j] = c.f(c.src[r]);
  });
  return { n, d, data, names: cols.map((c) => c.name) };
}

/**
 * Divides every column of both matrices by max|value| of that column in the reference (columns
 * that are all zero are left alone), as jetnet's `normalise_features` (§2.5). Returns copies.
 */
export function normaliseByReference(reference: FeatureMatrix, generated: FeatureMatrix): [FeatureMatrix, FeatureMatrix] {
  const d = reference.d;
  const max = new Float64Array(d);
  for (let r = 0; r < reference.n; r++) {
    for (let j = 0; j < d; j++) {
      const a = Math.abs(reference.data[r * d + j]);
      if (a > max[j]) max[j] = a;
    }
  }
  for (let j = 0; j < d; j++) if (max[j] === 0) max[j] = 1;
  const scale = (m: FeatureMatrix): FeatureMatrix => {
    const data = new Float64Array(m.data.length);
    for (let r = 0; r < m.n; r++) for (let j = 0; j < d; j++) data[r * d + j] = m.data[r * d + j] / max[j];
    return { ...m, data };
  };
  return [scale(reference), scale(generated)];
}
