/**
 * Which histograms are compared, and with which bins. CaloChallenge geometries use the official
 * binnings of field-reference.md §2.2; observables without an official binning (and every
 * observable of other geometries) use 50 (per-layer: 100) uniform bins over the reference range
 * widened by 0.5 % on each side, so that discrete values at the extremes do not sit on an edge
 * (integer-aligned bins for n_hit).
 */
import { DS1_ENERGIES } from './dataset.js';
import { column, type FeatureTable } from './features/extractor.js';
import { LAYER_GROUPS, groupName, layerColumnName, type LayerGroup } from './features/schema.js';
import { linspace, logEdges } from './histogram.js';

/** One compared histogram. */
export interface HistogramSpec {
  /** Unique name, e.g. `EC_eta[1]`, `E_dep/E_inc@4096MeV`, `voxel energy`. */
  name: string;
  /** Observable family, e.g. `EC_eta`, `E_layer`, `E_dep/E_inc`, `voxel`. */
  group: string;
  /** Layer id for per-layer observables. */
  layer?: number;
  /** Whether the binning is the official CaloChallenge one. */
  official: boolean;
  /** Bin edges. */
  edges: Float64Array;
  /** Whether the edges are log-spaced. */
  logX: boolean;
  /** Per-shower values of a table (absent for the voxel spectrum). */
  values?: (t: FeatureTable) => Float64Array;
}

const dataDriven = (x: Float64Array, bins = 50, integer = false): Float64Array | undefined => {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  if (!(hi > lo)) return undefined;
  if (integer) {
    const n = Math.min(100, Math.round(hi - lo) + 1);
    return linspace(lo - 0.5, hi + 0.5, n + 1);
  }
  const pad = 0.005 * (hi - lo);
  return linspace(lo - pad, hi + pad, bins + 1);
};

/** Energy subset of DS1: showers whose E_inc equals `energy` (within 1e-6 relative). */
export function energyMask(einc: Float64Array, energy: number): Uint8Array {
  const m = new Uint8Array(einc.length);
  for (let i = 0; i < einc.length; i++) m[i] = Math.abs(einc[i] - energy) <= 1e-6 * energy ? 1 : 0;
  return m;
}

function subset(x: Float64Array, mask: Uint8Array): Float64Array {
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) out[k++] = x[i];
  return out;
}

function officialRange(kind: string, group: LayerGroup, layer: number): [number, number] | undefined {
  const ds1 = kind === 'ds1-photons' || kind === 'ds1-pions';
  const ds23 = kind === 'ds2' || kind === 'ds3';
  if (!ds1 && !ds23) return undefined;
  const outer = layer === 12 || layer === 13;
  const hadronic = layer === 12 || layer === 13 || layer === 14;
  switch (group) {
    case 'EC_a':
    case 'EC_b':
      return ds23 ? [-30, 30] : outer ? [-500, 500] : [-100, 100];
    case 'Width_a':
    case 'Width_b':
      return ds23 ? [0, 30] : outer ? [0, 400] : [0, 100];
    case 'EC_r':
      return ds23 ? [0, 42] : hadronic ? [0, 1500] : [0, 500];
    case 'Width_r':
      return ds23 ? [0, 20] : hadronic ? [0, 1500] : [0, 500];
    default:
      return undefined;
  }
}

/** Global observables besides E_dep/E_inc compared with data-driven bins (§5.3). */
const EXTRA_GLOBALS = ['E_dep', 'n_hit', 'm1_x', 'm1_y', 'm1_eta', 'm1_phi', 'm1_z', 'm1_r', 'm2_x', 'm2_y', 'm2_eta', 'm2_phi', 'm2_z', 'm2_r', 'E1/E_dep', 'E2/E_dep', 'E3/E_dep'];

/**
 * The histograms compared for a pair of samples; bins depend on the reference only.
 * @param voxelMax largest thresholded reference voxel (for the voxel-spectrum edges)
 */
export function histogramSpecs(ref: FeatureTable, voxelMax: number): HistogramSpec[] {
  const s = ref.schema;
  const kind = s.kind;
  const calo = kind === 'ds1-photons' || kind === 'ds1-pions' || kind === 'ds2' || kind === 'ds3';
  const specs: HistogramSpec[] = [];
  const col = (name: string) => (t: FeatureTable) => column(t, name);
  const ratio = column(ref, 'E_dep/E_inc');
  const ratioEdges = calo ? linspace(0.5, 1.5, 101) : dataDriven(ratio);
  if (ratioEdges) specs.push({ name: 'E_dep/E_inc', group: 'E_dep/E_inc', official: calo, edges: ratioEdges, logX: false, values: col('E_dep/E_inc') });
  if (kind === 'ds1-photons' || kind === 'ds1-pions') {
    for (const e of DS1_ENERGIES) {
      const narrow = kind === 'ds1-photons' && e >= 4096;
      specs.push({
        name: `E_dep/E_inc@${e}MeV`,
        group: 'E_dep/E_inc per energy',
        official: true,
        edges: narrow ? linspace(0.9, 1.1, 21) : linspace(0.4, 1.4, 21),
        logX: false,
        values: (t) => subset(column(t, 'E_dep/E_inc'), energyMask(column(t, 'E_inc'), e)),
      });
    }
  }
  for (const g of LAYER_GROUPS) {
    for (const L of s.layers) {
      if (!L.transverse && LAYER_GROUPS.indexOf(g) >= 4) continue;
      const name = layerColumnName(s, g, L.id);
      const values = col(name);
      const base = { name, group: groupName(s, g), layer: L.id, values };
      if (g === 'E_layer') {
        let max = 0;
        const x = column(ref, name);
        for (let i = 0; i < x.length; i++) if (x[i] > max) max = x[i];
        if (max > ref.threshold && ref.threshold > 0) specs.push({ ...base, official: calo, edges: logEdges(ref.threshold, max, 40), logX: true });
      } else if (g === 'Sparsity') {
        specs.push({ ...base, official: calo, edges: linspace(0, 1, 21), logX: false });
      } else {
        const range = officialRange(kind, g, L.id);
        const edges = range ? linspace(range[0], range[1], 101) : dataDriven(column(ref, name), 100);
        if (edges) specs.push({ ...base, official: !!range, edges, logX: false });
      }
    }
  }
  for (const name of EXTRA_GLOBALS) {
    if (s.index[name] === undefined) continue;
    const edges = dataDriven(column(ref, name), 50, name === 'n_hit');
    if (edges) specs.push({ name, group: name, official: false, edges, logX: false, values: col(name) });
  }
  if (voxelMax > ref.threshold && ref.threshold > 0) {
    specs.push({ name: 'voxel energy', group: 'voxel', official: calo, edges: logEdges(ref.threshold, voxelMax, 50), logX: true });
  }
  return specs;
}
