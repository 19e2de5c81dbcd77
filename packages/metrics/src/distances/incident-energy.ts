/**
 * E_dep/E_inc per incident-energy bin, for the report's per-energy panels: the discrete energies
 * when the reference has at most 30 distinct values (DS1, with the official per-energy binnings
 * of field-reference.md §2.2), decade bins when the reference spans three decades or more
 * (DS2/DS3: 1–10, 10–100, 100–1000 GeV), otherwise four log-spaced bins over the reference range.
 */
import { DS1_ENERGIES } from '../dataset.js';
import { column, type FeatureTable } from '../features/extractor.js';
import { histogram, linspace, type HistogramPair } from '../histogram.js';
import { jensenShannon, separationPower } from './histogram-distances.js';

/** A range of incident energies, [low, high) (the last bin also holds `high`). */
export interface IncidentEnergyBin {
  /** Short label, e.g. `4.1 GeV` or `1–10 GeV`. */
  label: string;
  /** Lower edge, MeV (the energy itself for a discrete energy). */
  low: number;
  /** Upper edge, MeV (the energy itself for a discrete energy). */
  high: number;
}

/** Distances of E_dep/E_inc in one incident-energy bin. */
export interface IncidentEnergyResult extends IncidentEnergyBin {
  /** Reference showers in the bin. */
  referenceShowers: number;
  /** Generated showers in the bin. */
  generatedShowers: number;
  /** Separation power of the E_dep/E_inc histograms (NaN when a sample has no entry in range). */
  separationPower: number;
  /** Jensen–Shannon distance of the same histograms. */
  jsd: number;
}

/** Formats an energy in MeV with its natural unit (MeV, GeV, TeV), three significant digits. */
export function formatEnergy(mev: number): string {
  const [v, u] = mev >= 1e6 ? [mev / 1e6, 'TeV'] : mev >= 1e3 ? [mev / 1e3, 'GeV'] : [mev, 'MeV'];
  return `${Number(v.toPrecision(3))} ${u}`;
}

function rangeLabel(lo: number, hi: number): string {
  const unit = hi > 1e6 ? 1e6 : hi > 1e3 ? 1e3 : 1;
  const name = unit === 1e6 ? 'TeV' : unit === 1e3 ? 'GeV' : 'MeV';
  return `${Number((lo / unit).toPrecision(3))}–${Number((hi / unit).toPrecision(3))} ${name}`;
}

/** Incident-energy bins of a reference sample (see the module comment). */
export function incidentEnergyBins(einc: ArrayLike<number>): IncidentEnergyBin[] {
  const distinct = [...new Set(Array.from(einc))].sort((a, b) => a - b);
  if (distinct.length === 0) return [];
  if (distinct.length <= 30) return distinct.map((e) => ({ label: formatEnergy(e), low: e, high: e }));
  const min = distinct[0];
  const max = distinct[distinct.length - 1];
  const k0 = Math.floor(Math.log10(min));
  const k1 = Math.ceil(Math.log10(max));
  if (k1 - k0 >= 3) {
    return Array.from({ length: k1 - k0 }, (_, i) => ({ label: rangeLabel(10 ** (k0 + i), 10 ** (k0 + i + 1)), low: 10 ** (k0 + i), high: 10 ** (k0 + i + 1) })).filter((b) => b.high > min && b.low <= max);
  }
  const step = Math.log10(max / min) / 4;
  return Array.from({ length: 4 }, (_, i) => {
    const low = i === 0 ? min : min * 10 ** (i * step);
    const high = i === 3 ? max : min * 10 ** ((i + 1) * step);
    return { label: rangeLabel(low, high), low, high };
  });
}

function inBin(b: IncidentEnergyBin, last: boolean): (e: number) => boolean {
  if (b.low === b.high) return (e) => Math.abs(e - b.low) <= 1e-6 * b.low;
  return (e) => e >= b.low && (e < b.high || (last && e === b.high));
}

function select(t: FeatureTable, keep: (e: number) => boolean): Float64Array {
  const e = column(t, 'E_inc');
  const r = column(t, 'E_dep/E_inc');
  const out: number[] = [];
  for (let i = 0; i < e.length; i++) if (keep(e[i])) out.push(r[i]);
  return Float64Array.from(out);
}

function quantile(sorted: Float64Array, q: number): number {
  const x = q * (sorted.length - 1);
  const i = Math.floor(x);
  return i + 1 < sorted.length ? sorted[i] + (x - i) * (sorted[i + 1] - sorted[i]) : sorted[i];
}

/** Bin edges of E_dep/E_inc in one energy bin: the official ones for DS1, else 40 bins over the reference's 0.5–99.5 % range widened by 10 %. */
function ratioEdges(kind: string, b: IncidentEnergyBin, ref: Float64Array): Float64Array | undefined {
  const ds1 = kind === 'ds1-photons' || kind === 'ds1-pions';
  if (ds1 && b.low === b.high && DS1_ENERGIES.includes(b.low)) return kind === 'ds1-photons' && b.low >= 4096 ? linspace(0.9, 1.1, 21) : linspace(0.4, 1.4, 21);
  if (ref.length < 2) return undefined;
  const s = Float64Array.from(ref).sort();
  const lo = quantile(s, 0.005);
  const hi = quantile(s, 0.995);
  if (!(hi > lo)) return undefined;
  const pad = 0.1 * (hi - lo);
  return linspace(Math.max(0, lo - pad), hi + pad, 41);
}

/** E_dep/E_inc histograms and distances per incident-energy bin of the reference. */
export function incidentEnergyHistograms(ref: FeatureTable, gen: FeatureTable): { bins: IncidentEnergyResult[]; histograms: HistogramPair[] } {
  const bins = incidentEnergyBins(column(ref, 'E_inc'));
  const out: IncidentEnergyResult[] = [];
  const histograms: HistogramPair[] = [];
  bins.forEach((b, i) => {
    const keep = inBin(b, i === bins.length - 1);
    const a = select(ref, keep);
    const c = select(gen, keep);
    const edges = ratioEdges(ref.schema.kind, b, a);
    if (!edges) return;
    const hr = histogram(a, edges);
    const hg = histogram(c, edges);
    const empty = hr.every((v) => v === 0) || hg.every((v) => v === 0);
    out.push({ ...b, referenceShowers: a.length, generatedShowers: c.length, separationPower: empty ? NaN : separationPower(hr, hg), jsd: empty ? NaN : jensenShannon(hr, hg) });
    histograms.push({ edges: Array.from(edges), reference: Array.from(hr), generated: Array.from(hg), logX: false });
  });
  return { bins: out, histograms };
}
