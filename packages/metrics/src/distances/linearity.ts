/**
 * Linearity and resolution per incident energy (field-reference.md §5.3) from μ90/σ90 of
 * E_dep/E_inc: linearity = μ90, resolution = σ90/μ90. Discrete incident energies (DS1, or any
 * reference with at most 30 distinct values) form one group each; otherwise 10 log-spaced E_inc
 * bins between the reference minimum and maximum.
 */
import { column, type FeatureTable } from '../features/extractor.js';
import { binIndex, logEdges } from '../histogram.js';
import { mu90, type Mu90 } from './resolution.js';

/** One sample's response in one energy group. */
export interface Response {
  /** Showers in the group. */
  n: number;
  /** μ90 of E_dep/E_inc (the linearity). */
  linearity: number;
  /** Error of the linearity. */
  linearityError: number;
  /** σ90/μ90 (the resolution). */
  resolution: number;
  /** Error of the resolution (errors of σ90 and μ90 combined in quadrature). */
  resolutionError: number;
}

/** One row of the linearity/resolution table. */
export interface LinearityRow {
  /** Representative energy, MeV (the discrete value or the geometric bin centre). */
  energy: number;
  /** Lower edge of the group, MeV. */
  low: number;
  /** Upper edge of the group, MeV. */
  high: number;
  /** Reference response. */
  reference: Response;
  /** Generated response. */
  generated: Response;
}

function response(m: Mu90, n: number): Response {
  const res = m.sigma90 / m.mu90;
  const resErr = res * Math.sqrt((m.sigma90Error / m.sigma90) ** 2 + (m.mu90Error / m.mu90) ** 2);
  return { n, linearity: m.mu90, linearityError: m.mu90Error, resolution: res, resolutionError: Number.isFinite(resErr) ? resErr : 0 };
}

/** Builds the linearity/resolution table of two samples. */
export function linearityTable(ref: FeatureTable, gen: FeatureTable): LinearityRow[] {
  const eRef = column(ref, 'E_inc');
  const distinct = [...new Set(eRef)].sort((a, b) => a - b);
  let groups: { energy: number; low: number; high: number; of: (e: number) => boolean }[];
  if (distinct.length <= 30) {
    groups = distinct.map((e) => ({ energy: e, low: e, high: e, of: (x: number) => Math.abs(x - e) <= 1e-6 * e }));
  } else {
    const lo = distinct[0];
    const hi = distinct[distinct.length - 1];
    const edges = logEdges(lo, hi, 11);
    groups = Array.from({ length: 10 }, (_, i) => ({
      energy: Math.sqrt(edges[i] * edges[i + 1]),
      low: edges[i],
      high: edges[i + 1],
      of: (x: number) => binIndex(edges, x) === i,
    }));
  }
  const pick = (t: FeatureTable, of: (e: number) => boolean): number[] => {
    const e = column(t, 'E_inc');
    const r = column(t, 'E_dep/E_inc');
    const out: number[] = [];
    for (let i = 0; i < t.n; i++) if (of(e[i])) out.push(r[i]);
    return out;
  };
  return groups.map((g) => {
    const a = pick(ref, g.of);
    const b = pick(gen, g.of);
    return { energy: g.energy, low: g.low, high: g.high, reference: response(mu90(a), a.length), generated: response(mu90(b), b.length) };
  });
}
