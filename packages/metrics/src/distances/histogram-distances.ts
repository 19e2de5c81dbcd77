/**
 * Distances between two binned distributions: the CaloChallenge separation power
 * (field-reference.md §2.3), the Jensen–Shannon distance as SciPy computes it and the DESY area
 * difference (§2.7).
 */
import { InvalidArgumentError } from '@calozoo/core';
import { toProbabilities } from '../histogram.js';

/** Both histograms as unit-sum probabilities, after checking that their bin counts match. */
function probabilities(a: ArrayLike<number>, b: ArrayLike<number>, what: string): [Float64Array, Float64Array] {
  if (a.length !== b.length) throw new InvalidArgumentError(`${what}: histograms have ${a.length} and ${b.length} bins`);
  return [toProbabilities(a), toProbabilities(b)];
}

/**
 * Separation power S = ½ Σ (h − g)² / (h + g + 1e-16) of two count histograms after converting
 * each to unit-sum probabilities (§2.3): 0 for identical shapes, 1 for disjoint ones.
 */
export function separationPower(reference: ArrayLike<number>, generated: ArrayLike<number>): number {
  const [h, g] = probabilities(reference, generated, 'separationPower');
  let s = 0;
  for (let i = 0; i < h.length; i++) {
    const d = h[i] - g[i];
    s += (d * d) / (h[i] + g[i] + 1e-16);
  }
  return 0.5 * s;
}

/**
 * Jensen–Shannon distance (natural log, the square root of the divergence) of two count
 * histograms, as `scipy.spatial.distance.jensenshannon` (§2.7): 0 identical, sqrt(ln 2) disjoint.
 */
export function jensenShannon(reference: ArrayLike<number>, generated: ArrayLike<number>): number {
  const [p, q] = probabilities(reference, generated, 'jensenShannon');
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) js += p[i] * Math.log(p[i] / m);
    if (q[i] > 0) js += q[i] * Math.log(q[i] / m);
  }
  return Math.sqrt(Math.max(0, js / 2));
}

/** Area difference ½ Σ |p − q| of the unit-sum histograms (DESY helper, §2.7). */
export function areaDifference(reference: ArrayLike<number>, generated: ArrayLike<number>): number {
  const [p, q] = probabilities(reference, generated, 'areaDifference');
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.abs(p[i] - q[i]);
  return 0.5 * s;
}

/**
 * DESY fidelity score (§2.7): per observable, each model's JSD divided by the mean over the
 * compared models; a model's score is the mean of these ratios over observables. It is relative
 * to the set compared (a single model scores 1). Observables missing for a model are skipped.
 * @param jsd model name → observable name → Jensen–Shannon distance
 */
export function fidelityScore(jsd: Readonly<Record<string, Readonly<Record<string, number>>>>): Record<string, number> {
  const models = Object.keys(jsd);
  const observables = new Set<string>();
  for (const m of models) for (const o of Object.keys(jsd[m])) observables.add(o);
  const sum: Record<string, number> = {};
  const cnt: Record<string, number> = {};
  for (const m of models) {
    sum[m] = 0;
    cnt[m] = 0;
  }
  for (const o of observables) {
    const have = models.filter((m) => Number.isFinite(jsd[m][o]));
    const mean = have.reduce((a, m) => a + jsd[m][o], 0) / have.length;
    if (!(mean > 0)) continue;
    for (const m of have) {
      sum[m] += jsd[m][o] / mean;
      cnt[m]++;
    }
  }
  const out: Record<string, number> = {};
  for (const m of models) out[m] = cnt[m] > 0 ? sum[m] / cnt[m] : 1;
  return out;
}
