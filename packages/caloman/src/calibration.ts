/**
 * Post-hoc calibration of the energy response: a per-energy-bin quantile mapping of the
 * total deposited fraction r = Σ_l E_l / E_inc, fitted after training by comparing the EPL
 * flow's samples with the training showers. Applying it rescales all layer energies of a
 * sample by r_data(F_model(r))/r, so the E_dep/E_inc distribution in every energy bin matches
 * the training data while the layer-energy ratios stay the flow's.
 */

/** A fitted response calibration (JSON-serialisable). */
export interface ResponseCalibration {
  /** log10(E_inc/MeV) bin edges, length B + 1 (outer edges are open). */
  edges: number[];
  /** Model quantiles of r per bin, B × Q, at probabilities (q + 0.5)/Q. */
  model: number[][];
  /** Data quantiles of r per bin, B × Q. */
  data: number[][];
}

function quantiles(values: number[], q: number): number[] {
  const s = [...values].sort((a, b) => a - b);
  const out: number[] = [];
  for (let k = 0; k < q; k++) {
    const p = ((k + 0.5) / q) * (s.length - 1);
    const lo = Math.floor(p);
    const hi = Math.min(s.length - 1, lo + 1);
    out.push(s[lo] + (p - lo) * (s[hi] - s[lo]));
  }
  return out;
}

/** Index of the bin of log10 energy `x` given edges (values outside go to the outer bins). */
function binOf(edges: readonly number[], x: number): number {
  const B = edges.length - 1;
  for (let b = 1; b < B; b++) if (x < edges[b]) return b - 1;
  return B - 1;
}

/**
 * Bin edges in log10 E: midpoints between the discrete energies when `discrete` is given
 * (dataset 1's 15 values), otherwise `bins` equal-width bins between the extremes.
 */
export function calibrationEdges(energies: ArrayLike<number>, discrete: readonly number[] | null, bins: number): number[] {
  if (discrete && discrete.length > 0) {
    const l = [...discrete].sort((a, b) => a - b).map(Math.log10);
    const edges = [l[0] - 1];
    for (let i = 1; i < l.length; i++) edges.push(0.5 * (l[i - 1] + l[i]));
    edges.push(l[l.length - 1] + 1);
    return edges;
  }
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < energies.length; i++) {
    const x = Math.log10(energies[i]);
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  if (!(hi > lo)) return [lo - 1, hi + 1];
  return Array.from({ length: bins + 1 }, (_, i) => lo + ((hi - lo) * i) / bins);
}

/** Fits the quantile mapping from data and model samples of r with their incident energies (MeV). */
export function fitResponseCalibration(
  data: { r: ArrayLike<number>; energy: ArrayLike<number> },
  model: { r: ArrayLike<number>; energy: ArrayLike<number> },
  edges: number[],
  nQuantiles = 50,
): ResponseCalibration {
  const B = edges.length - 1;
  const split = (s: { r: ArrayLike<number>; energy: ArrayLike<number> }): number[][] => {
    const out: number[][] = Array.from({ length: B }, () => []);
    for (let i = 0; i < s.r.length; i++) out[binOf(edges, Math.log10(s.energy[i]))].push(s.r[i]);
    return out;
  };
  const d = split(data);
  const m = split(model);
  const cal: ResponseCalibration = { edges, model: [], data: [] };
  for (let b = 0; b < B; b++) {
    // Too few entries to map: identity (model quantiles = data quantiles = a straight line).
    if (d[b].length < 20 || m[b].length < 20) {
      cal.model.push([]);
      cal.data.push([]);
      continue;
    }
    const q = Math.min(nQuantiles, Math.floor(Math.min(d[b].length, m[b].length) / 10));
    cal.model.push(quantiles(m[b], q));
    cal.data.push(quantiles(d[b], q));
  }
  return cal;
}

/** Maps a model response r at incident energy E (MeV) to the calibrated response. */
export function calibrateResponse(cal: ResponseCalibration, r: number, energy: number): number {
  const b = binOf(cal.edges, Math.log10(energy));
  const mq = cal.model[b];
  const dq = cal.data[b];
  if (!mq || mq.length < 2) return r;
  const Q = mq.length;
  // Outside the fitted range: the nearest end quantile of the data. This also tames the rare
  // far-tail samples of an under-trained flow, which would otherwise dominate E_dep/E_inc.
  if (r <= mq[0]) return dq[0];
  if (r >= mq[Q - 1]) return dq[Q - 1];
  let lo = 0;
  let hi = Q - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (mq[mid] <= r) lo = mid;
    else hi = mid;
  }
  const t = mq[hi] > mq[lo] ? (r - mq[lo]) / (mq[hi] - mq[lo]) : 0.5;
  return dq[lo] + t * (dq[hi] - dq[lo]);
}

/** Rescales layer energies [n, L] in place so every shower's total follows the calibrated response. */
export function applyResponseCalibration(cal: ResponseCalibration, layerE: Float64Array, energy: ArrayLike<number>, L: number): Float64Array {
  for (let i = 0; i < energy.length; i++) {
    let s = 0;
    for (let l = 0; l < L; l++) s += layerE[i * L + l];
    if (!(s > 0)) continue;
    const r = s / energy[i];
    const target = Math.max(0, calibrateResponse(cal, r, energy[i]));
    const k = target / r;
    for (let l = 0; l < L; l++) layerE[i * L + l] *= k;
  }
  return layerE;
}
