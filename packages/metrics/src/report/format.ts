/**
 * Plain-text summary of an evaluation for the command line.
 */
import type { EvaluationResult } from '../evaluate.js';

const num = (v: number | null | undefined, digits = 4): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toPrecision(digits));

/** Formats a result as an aligned text table (summary, FPD/KPD, per-family separation power). */
export function formatTable(r: EvaluationResult): string {
  const lines: string[] = [];
  lines.push(`calozoo evaluate — ${r.geometry} (${r.dataset}), features v${r.featureExtractorVersion}`);
  lines.push(`samples: ${r.labels.reference} ${r.samples.reference}, ${r.labels.generated} ${r.samples.generated}; threshold ${num(r.thresholds.voxel)} MeV, hit threshold ${num(r.thresholds.hit)} MeV`);
  if (r.fpd) lines.push(`FPD ×10³: ${num(r.fpd.value * 1e3)} ± ${num(r.fpd.error * 1e3, 2)}`);
  if (r.kpd) lines.push(`KPD ×10³: ${num(r.kpd.value * 1e3)} ± ${num(r.kpd.error * 1e3, 2)}`);
  for (const [mode, c] of Object.entries(r.classifier ?? {})) {
    lines.push(`${mode} classifier: AUC ${num(c.auc)}, JSD ${num(c.jsd)} (${c.protocol} protocol, best epoch ${c.bestEpoch}, ${c.backend})`);
  }
  if (r.summary) {
    lines.push(`mean separation power: ${num(r.summary.meanSeparationPower)} (worst ${r.summary.worst.name}: ${num(r.summary.worst.separationPower)}), mean JSD ${num(r.summary.meanJsd)}`);
    const rows = Object.entries(r.summary.byGroup);
    const w = Math.max(10, ...rows.map(([k]) => k.length));
    lines.push('');
    lines.push(`${'observable'.padEnd(w)}  mean S`);
    for (const [k, v] of rows) lines.push(`${k.padEnd(w)}  ${num(v)}`);
  }
  if (r.profiles) lines.push(`profiles: longitudinal S ${num(r.profiles.longitudinal.separationPower)}, radial S ${num(r.profiles.radial.separationPower)}`);
  if (r.correlation) lines.push(`correlation matrix: Σ|Δρ| (lower triangle) = ${num(r.correlation.sumAbsDifference)}`);
  if (r.linearity && r.linearity.length) {
    lines.push('');
    lines.push('E_inc [MeV]     lin ref   lin gen   res ref   res gen');
    for (const row of r.linearity) {
      lines.push(
        `${num(row.energy, 5).padEnd(14)}  ${num(row.reference.linearity).padStart(8)}  ${num(row.generated.linearity).padStart(8)}  ${num(row.reference.resolution).padStart(8)}  ${num(row.generated.resolution).padStart(8)}`,
      );
    }
  }
  return lines.join('\n');
}
