/**
 * The side-by-side report of several generated samples scored against one reference
 * (`evaluateMany`): one summary table with a column per model, and every profile, energy
 * response and histogram panel with all models overlaid on the reference (one colour each, ratio
 * panels per model). Self-contained like the single report: inline SVG, no scripts.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError, writeFileAtomic, writeJsonAtomic } from '@calozoo/core';
import type { EvaluationOutput, EvaluationResult } from '../evaluate.js';
import { esc } from './axes.js';
import { GEN, OTHER_COLOURS, REF, curvesSvg, histogramSvg, type Series } from './svg.js';
import { histogramAxes, histogramBlocks, profilePanels } from './write-report.js';

/** One row of a comparison table: a metric and its value per model (null: not measured). */
export interface ComparisonRow {
  /** Metric name, e.g. `FPD ×10³`. */
  label: string;
  /** One value per model, in the models' order. */
  values: (number | null)[];
  /** Significant digits to print (0: an integer). */
  digits: number;
}

/** The summary metrics of each result as table rows: separation powers, FPD, KPD, classifier AUCs. */
export function comparisonRows(results: readonly EvaluationResult[]): ComparisonRow[] {
  const obs = (r: EvaluationResult, name: string): number | null => {
    const v = r.observables.find((o) => o.name === name)?.separationPower;
    return v !== undefined && Number.isFinite(v) ? v : null;
  };
  const maxLayer = (r: EvaluationResult): number | null => {
    const s = r.observables.filter((o) => o.group === 'E_layer').map((o) => o.separationPower).filter(Number.isFinite);
    return s.length ? Math.max(...s) : null;
  };
  const rows: ComparisonRow[] = [
    { label: 'mean separation power', values: results.map((r) => r.summary?.meanSeparationPower ?? null), digits: 3 },
    { label: 'S(E_dep/E_inc)', values: results.map((r) => obs(r, 'E_dep/E_inc')), digits: 3 },
    { label: 'max S(E_layer)', values: results.map(maxLayer), digits: 3 },
    { label: 'FPD ×10³', values: results.map((r) => (r.fpd ? r.fpd.value * 1e3 : null)), digits: 3 },
    { label: 'KPD ×10³', values: results.map((r) => (r.kpd ? r.kpd.value * 1e3 : null)), digits: 3 },
  ];
  for (const mode of ['cls-low', 'cls-low-normed', 'cls-high'] as const) {
    if (results.some((r) => r.classifier?.[mode])) rows.push({ label: `${mode} AUC`, values: results.map((r) => r.classifier?.[mode]?.auc ?? null), digits: 3 });
  }
  return rows;
}

/** A table value with `digits` significant digits (integers as they are, `n/a` when missing). */
function formatCell(v: number | null | undefined, digits: number): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'n/a';
  return digits === 0 ? String(Math.round(v)) : v.toPrecision(digits);
}

/** A comparison table as aligned text, one column per model. */
export function formatComparison(models: readonly string[], rows: readonly ComparisonRow[]): string {
  const w0 = Math.max(6, ...rows.map((r) => r.label.length));
  const widths = models.map((n, i) => Math.max(n.length, ...rows.map((r) => formatCell(r.values[i], r.digits).length)));
  const line = (label: string, cells: string[]): string => [label.padEnd(w0), ...cells.map((c, i) => c.padStart(widths[i]!))].join('  ');
  return [line('', [...models]), ...rows.map((r) => line(r.label, r.values.map((v) => formatCell(v, r.digits))))].join('\n');
}

/** Options of `renderComparison` and `writeComparisonReport`. */
export interface ComparisonReportOptions {
  /** Rows after the metrics (e.g. generation speed, parameters, training time). */
  extraRows?: readonly ComparisonRow[];
  /** Relative link to each model's own report, in the models' order. */
  links?: readonly (string | undefined)[];
  /** A line under the title (e.g. the command that made it). */
  subtitle?: string;
}

/** Renders the side-by-side HTML report of `outputs` (all against the same reference). */
export function renderComparison(outputs: readonly EvaluationOutput[], options: ComparisonReportOptions = {}): string {
  if (outputs.length === 0) throw new InvalidArgumentError('renderComparison: no evaluation given');
  const results = outputs.map((o) => o.result);
  const first = outputs[0]!;
  const ref = first.result.labels.reference;
  for (const r of results) {
    if (r.geometry !== first.result.geometry || r.samples.reference !== first.result.samples.reference) {
      throw new InvalidArgumentError(`renderComparison: ${r.labels.generated} was scored against another reference (${r.geometry}, ${r.samples.reference} showers) than ${first.result.labels.generated} (${first.result.geometry}, ${first.result.samples.reference})`);
    }
  }
  const names = results.map((r) => r.labels.generated);
  const colours = names.map((_, i) => (i === 0 ? GEN : OTHER_COLOURS[(i - 1) % OTHER_COLOURS.length]!));
  const labels: [string, string] = [ref, names[0]!];
  const sections: { id: string; title: string; html: string }[] = [];

  // summary
  {
    const rows = [...comparisonRows(results), ...(options.extraRows ?? [])];
    const head = `<tr><th></th>${names.map((n, i) => `<th style="color:${colours[i]}">${options.links?.[i] ? `<a href="${esc(options.links[i]!)}">${esc(n)}</a>` : esc(n)}</th>`).join('')}</tr>`;
    const body = rows.map((r) => `<tr><td>${esc(r.label)}</td>${r.values.map((v) => `<td class="num">${esc(formatCell(v, r.digits))}</td>`).join('')}</tr>`).join('');
    const groups = [...new Set(results.flatMap((r) => Object.keys(r.summary?.byGroup ?? {})))];
    const byGroup = groups.map((g) => `<tr><td>${esc(g)}</td>${results.map((r) => `<td class="num">${esc(formatCell(r.summary?.byGroup[g] ?? null, 3))}</td>`).join('')}</tr>`).join('');
    sections.push({
      id: 'summary',
      title: 'Summary',
      html:
        `<div class="grid"><table class="summary">${head}${body}</table>` +
        (byGroup ? `<table class="summary"><tr><th>mean S per observable family</th>${names.map((n, i) => `<th style="color:${colours[i]}">${esc(n)}</th>`).join('')}</tr>${byGroup}</table>` : '') +
        '</div><p class="caption">Every model was scored against the same reference sample in one pass over it. S: separation power (0 identical … 1 disjoint); lower is better everywhere in this table except the speed and size rows.</p>',
    });
  }

  // profiles
  {
    let html = '<div class="grid">';
    html += profilePanels(first.histograms, labels, {}, outputs.slice(1).map((o) => ({ label: o.result.labels.generated, h: o.histograms })));
    html += '</div><p class="caption">Ratio panels: each model / reference, range 0.5–1.5; triangles mark points beyond it.</p>';
    sections.push({ id: 'profiles', title: 'Profiles', html });
  }

  // energy response
  {
    let html = '';
    const bins = first.histograms.incidentEnergy;
    if (bins.length) {
      html += '<h3>E_dep / E_inc per incident energy</h3><div class="grid">';
      for (const { bin, pair } of bins) {
        const others = outputs.slice(1).flatMap((o) => {
          const match = o.histograms.incidentEnergy.find((b) => b.bin.label === bin.label);
          return match ? [{ label: o.result.labels.generated, counts: match.pair.generated }] : [];
        });
        const s = outputs.map((o) => formatCell(o.histograms.incidentEnergy.find((b) => b.bin.label === bin.label)?.bin.separationPower, 2)).join(' / ');
        html += histogramSvg(`E_inc = ${bin.label}`, pair, labels, { note: `S = ${s}`, xLabel: 'E_dep / E_inc', yLabel: 'fraction of showers', logY: false, others });
      }
      html += '</div>';
    }
    const lin = results.map((r) => r.linearity ?? []);
    if (lin[0]!.length) {
      const x = lin[0]!.map((r) => r.energy);
      const curves = (key: 'linearity' | 'resolution'): Series[] => [
        { label: ref, x, y: lin[0]!.map((r) => r.reference[key]), yErr: lin[0]!.map((r) => r.reference[`${key}Error`]), colour: REF },
        ...lin.map((rows, i) => ({ label: names[i]!, x: rows.map((r) => r.energy), y: rows.map((r) => r.generated[key]), yErr: rows.map((r) => r.generated[`${key}Error`]), colour: colours[i]!, dash: i === 0 })),
      ];
      html += '<h3>Linearity and resolution (μ90 and σ90/μ90 of E_dep/E_inc)</h3><div class="grid">';
      html += curvesSvg({ title: 'Linearity', series: curves('linearity'), xLabel: 'E_inc [MeV]', yLabel: 'μ90(E_dep / E_inc)', logX: true });
      html += curvesSvg({ title: 'Resolution', series: curves('resolution'), xLabel: 'E_inc [MeV]', yLabel: 'σ90 / μ90', logX: true, logY: true });
      html += '</div>';
    }
    if (html) sections.push({ id: 'energy', title: 'Energy response', html });
  }

  // histograms
  {
    const grid = first.histograms.images.geometry.kind === 'grid';
    let html = histogramBlocks(first.result.observables, first.histograms, (o) =>
      histogramSvg(o.name, first.histograms.histograms[o.name]!, labels, {
        note: `S = ${results.map((r) => formatCell(r.observables.find((x) => x.name === o.name)?.separationPower, 2)).join(' / ')}`,
        ...histogramAxes(o, grid),
        others: outputs.slice(1).flatMap((out) => {
          const h = out.histograms.histograms[o.name];
          return h ? [{ label: out.result.labels.generated, counts: h.generated }] : [];
        }),
      }),
    );
    html += `<p class="caption">Histograms normalised to unit sum; the note gives each model's separation power in the order ${esc(names.join(' / '))}.</p>`;
    sections.push({ id: 'histograms', title: 'Histograms', html });
  }

  const nav = sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join(' · ');
  const body = sections.map((s) => `<section id="${s.id}"><h2>${esc(s.title)}</h2>${s.html}</section>`).join('\n');
  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>calozoo comparison: ' +
    esc(first.result.geometry) +
    '</title><style>' +
    'body{font-family:"DejaVu Sans",Verdana,Helvetica,Arial,sans-serif;margin:16px 20px;background:#fff;color:#222;font-size:14px}' +
    'h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:28px}h3{font-size:15px;margin:18px 0 6px}' +
    '.grid{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}svg{background:#fff}a{color:#1f4e9c}' +
    'table.summary{border-collapse:collapse;font-size:13px;margin:4px 24px 8px 0}table.summary th{text-align:right;border-bottom:1px solid #bbb;padding:3px 0 3px 16px}table.summary th:first-child{text-align:left;padding-left:0}table.summary td{padding:2px 0 2px 16px}table.summary td:first-child{padding-left:0}td.num{text-align:right;font-variant-numeric:tabular-nums}' +
    '.caption{color:#444;font-size:13px;max-width:1100px}nav{margin:6px 0 10px;font-size:13px}' +
    '</style></head><body>' +
    `<h1>calozoo comparison: ${esc(first.result.geometry)}</h1><div>${esc(names.join(', '))} against ${esc(ref)} (${first.result.samples.reference} showers)${options.subtitle ? `; ${esc(options.subtitle)}` : ''}</div>` +
    `<nav>${nav}</nav>${body}</body></html>`
  );
}

/** Writes `comparison.json` (the results) and `index.html` (the side-by-side report) into `dir`. */
export async function writeComparisonReport(outputs: readonly EvaluationOutput[], dir: string, options: ComparisonReportOptions = {}): Promise<{ json: string; html: string }> {
  await mkdir(dir, { recursive: true });
  const json = join(dir, 'comparison.json');
  const html = join(dir, 'index.html');
  const results = outputs.map((o) => o.result);
  const rows = [...comparisonRows(results), ...(options.extraRows ?? [])];
  await writeJsonAtomic(json, { models: results.map((r) => r.labels.generated), table: rows, results });
  await writeFileAtomic(html, renderComparison(outputs, options));
  return { json, html };
}
