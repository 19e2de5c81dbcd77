/**
 * Writes `metrics.json` and a self-contained `index.html` (inline SVG, no scripts, opens from the
 * file system) with every histogram and its ratio panel, the profiles, the correlation matrices
 * and the linearity/resolution curves.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '@calozoo/core';
import type { EvaluationHistograms, EvaluationResult } from '../evaluate.js';
import { formatTable } from './format.js';
import { curvesSvg, esc, histogramSvg, matrixSvg } from './svg.js';

const n4 = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toPrecision(4));

/** Renders the HTML report of a result. */
export function renderReport(result: EvaluationResult, h: EvaluationHistograms): string {
  const labels: [string, string] = [result.labels.reference, result.labels.generated];
  const parts: string[] = [];
  parts.push(`<h1>calozoo evaluation: ${esc(result.geometry)}</h1>`);
  parts.push(`<pre>${esc(formatTable(result))}</pre>`);
  if (result.fpd) {
    const f = result.fpd;
    parts.push('<h2>FPD fit</h2>');
    parts.push(curvesSvg('Fréchet distance vs 1/N', f.batchSizes.map((b) => 1e4 / b), f.distances, f.batchSizes.map((b) => f.value + f.slope / b), ['FD(N)', 'a + b/N'], '10⁴/N', false));
  }
  parts.push('<h2>Profiles</h2><div class="grid">');
  parts.push(curvesSvg('Longitudinal profile (mean MeV per layer)', h.longitudinal.layers.map((_, i) => i), h.longitudinal.reference, h.longitudinal.generated, labels, 'layer position'));
  parts.push(curvesSvg('Radial profile (mean MeV per bin)', h.radial.centres, h.radial.reference, h.radial.generated, labels, `r [${h.radial.unit}]`));
  parts.push('</div>');
  if (result.correlation) {
    const c = result.correlation;
    const diff = c.reference.map((row, i) => row.map((v, j) => v - c.generated[i][j]));
    parts.push(`<h2>Correlations (Σ|Δ| = ${n4(c.sumAbsDifference)})</h2><div class="grid">`);
    parts.push(matrixSvg(labels[0], c.names, c.reference));
    parts.push(matrixSvg(labels[1], c.names, c.generated));
    parts.push(matrixSvg(`${labels[0]} − ${labels[1]}`, c.names, diff, 0.5));
    parts.push('</div>');
  }
  if (result.linearity && result.linearity.length) {
    const L = result.linearity;
    const x = L.map((r) => Math.log10(r.energy));
    parts.push('<h2>Linearity and resolution (μ90, σ90/μ90 of E_dep/E_inc)</h2><div class="grid">');
    parts.push(curvesSvg('Linearity μ90', x, L.map((r) => r.reference.linearity), L.map((r) => r.generated.linearity), labels, 'log10(E_inc / MeV)', false));
    parts.push(curvesSvg('Resolution σ90/μ90', x, L.map((r) => r.reference.resolution), L.map((r) => r.generated.resolution), labels, 'log10(E_inc / MeV)', false));
    parts.push('</div>');
  }
  parts.push('<h2>Histograms</h2><div class="grid">');
  for (const o of result.observables) {
    const pair = h.histograms[o.name];
    if (!pair) continue;
    parts.push(histogramSvg(o.name, pair, labels, `S=${n4(o.separationPower)} JSD=${n4(o.jsd)}${o.official ? '' : ' *'}`));
  }
  parts.push('</div><p>* calozoo binning (no official CaloChallenge binning for this observable).</p>');
  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>calozoo evaluation</title>' +
    '<style>body{font-family:sans-serif;margin:16px;background:#fff}.grid{display:flex;flex-wrap:wrap;gap:8px}pre{background:#f4f4f4;padding:8px}svg{background:#fff}</style>' +
    `</head><body>${parts.join('\n')}</body></html>`
  );
}

/** Writes `metrics.json` (the result) and `index.html` (the plots) into `dir`; returns their paths. */
export async function writeReport(result: EvaluationResult, histograms: EvaluationHistograms, dir: string): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'metrics.json');
  const html = join(dir, 'index.html');
  await writeJsonAtomic(json, result);
  await writeFileAtomic(html, renderReport(result, histograms));
  return { json, html };
}
