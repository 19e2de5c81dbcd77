/**
 * Writes `metrics.json` and a self-contained `index.html` (inline SVG, no scripts, no external
 * resources, opens from the file system): summary and provenance, profiles, E_dep/E_inc per
 * incident energy, linearity and resolution, per-layer average and single-shower images, every
 * histogram with its ratio panel, the correlation matrices and the FPD fit.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '@calozoo/core';
import type { EvaluationHistograms, EvaluationResult, ObservableResult } from '../evaluate.js';
import type { SampleProvenance } from '../provenance.js';
import { formatTable } from './format.js';
import { esc, niceStep, truncate } from './axes.js';
import { imageLayers, layerImageSvg, layerInfo, showerLayers, showerSvg } from './images.js';
import { GEN, REF, binnedSvg, curvesSvg, histogramSvg, matrixSvg } from './svg.js';

const n4 = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toPrecision(4));
const n3 = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toPrecision(3));

/** Axis title of an observable, with its unit (mm for cylindrical binnings, cells for grids). */
function observableAxisLabel(o: Pick<ObservableResult, 'name' | 'group'>, grid: boolean): string {
  const len = grid ? 'cell' : 'mm';
  const g = o.group;
  if (g.startsWith('E_dep/E_inc')) return 'E_dep / E_inc';
  if (g === 'E_layer' || g === 'E_dep') return `${o.name} [MeV]`;
  if (g === 'voxel') return 'voxel energy [MeV]';
  if (g === 'n_hit') return 'n_hit [voxels]';
  if (g === 'Sparsity') return `${o.name} (fraction of empty voxels)`;
  if (/^(EC|Width)_/.test(g)) return `${o.name} [${len}]`;
  if (g === 'm1_z') return 'm1_z [layer]';
  if (g === 'm2_z') return 'm2_z [layer²]';
  if (g.startsWith('m1_')) return `${o.name} [${len}]`;
  if (g.startsWith('m2_')) return `${o.name} [${len}²]`;
  return o.name;
}

function bytes(n: number | undefined): string {
  if (n === undefined) return '';
  const u = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < u.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i ? v.toPrecision(3) : v} ${u[i]} (${n.toLocaleString('en-US')} bytes)`;
}

function sampleRow(name: string, label: string, s: SampleProvenance): string {
  if (s.source === 'memory') return `<tr><th>${esc(name)}</th><td>${esc(label)}: in memory, ${s.showers} showers</td></tr>`;
  const attrs = Object.entries(s.attributes ?? {})
    .map(([k, v]) => `${esc(k)} = ${esc(Array.isArray(v) ? v.join(', ') : String(v))}`)
    .join('; ');
  return (
    `<tr><th>${esc(name)}</th><td><code>${esc(s.path ?? '')}</code><br>${esc(bytes(s.bytes))}, modified ${esc(s.modified ?? '')}, ${s.showers} showers` +
    (attrs ? `<br><span class="attrs">attributes: ${attrs}</span>` : '') +
    '</td></tr>'
  );
}

function provenanceTable(r: EvaluationResult): string {
  const p = r.provenance;
  const rows: string[] = [];
  rows.push(`<tr><th>date</th><td>${esc(p.date)}</td></tr>`);
  if (p.commandLine) rows.push(`<tr><th>command</th><td><code>${esc(p.commandLine)}</code></td></tr>`);
  rows.push(sampleRow('reference', r.labels.reference, p.reference));
  rows.push(sampleRow('generated', r.labels.generated, p.generated));
  if (p.generator || p.model) rows.push(`<tr><th>model</th><td>${esc([p.generator, p.model ? `model directory ${p.model}` : ''].filter(Boolean).join(', '))}</td></tr>`);
  rows.push(`<tr><th>seeds</th><td>${esc(Object.entries(p.seeds).map(([k, v]) => `${k}: ${v}`).join(', ') || 'none')}</td></tr>`);
  rows.push(`<tr><th>geometry</th><td>${esc(r.geometry)} (${esc(r.dataset)}), voxel threshold ${n4(r.thresholds.voxel)} MeV, hit threshold ${n4(r.thresholds.hit)} MeV, features v${esc(r.featureExtractorVersion)}, modes ${esc(r.modes.join(', '))}</td></tr>`);
  rows.push(`<tr><th>versions</th><td>${esc(Object.entries(p.versions).map(([k, v]) => `${k} ${v}`).join(', '))}; Node.js ${esc(p.node)} on ${esc(p.platform)}</td></tr>`);
  rows.push(`<tr><th>backend</th><td>${esc(p.backend)}</td></tr>`);
  return `<table class="prov">${rows.join('')}</table>`;
}

function ordinal(n: number): string {
  const t = n % 100;
  return `${n}${t >= 11 && t <= 13 ? 'th' : ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

function summaryTables(r: EvaluationResult): string {
  const rows: [string, string][] = [];
  rows.push(['samples', `${r.samples.reference} reference, ${r.samples.generated} generated`]);
  if (r.summary) {
    rows.push(['mean separation power', `${n4(r.summary.meanSeparationPower)} (worst: ${r.summary.worst.name}, ${n3(r.summary.worst.separationPower)})`]);
    rows.push(['mean JSD', n4(r.summary.meanJsd)]);
  }
  if (r.fpd) rows.push(['FPD ×10³', `${n4(r.fpd.value * 1e3)} ± ${n3(r.fpd.error * 1e3)}`]);
  if (r.kpd) rows.push(['KPD ×10³', `${n4(r.kpd.value * 1e3)} ± ${n3(r.kpd.error * 1e3)}`]);
  for (const [mode, c] of Object.entries(r.classifier ?? {})) rows.push([`${mode} classifier`, `AUC ${n4(c.auc)}, JSD ${n4(c.jsd)} (${c.protocol} protocol)`]);
  if (r.profiles) rows.push(['profiles S', `longitudinal ${n3(r.profiles.longitudinal.separationPower)}, radial ${n3(r.profiles.radial.separationPower)}`]);
  if (r.correlation) rows.push(['correlations Σ|Δρ|', n4(r.correlation.sumAbsDifference)]);
  let out = `<table class="summary"><tr><th colspan="2">headline numbers</th></tr>${rows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join('')}</table>`;
  if (r.summary) {
    const groups = Object.entries(r.summary.byGroup);
    out += `<table class="summary"><tr><th>observable family</th><th>mean S</th></tr>${groups.map(([k, v]) => `<tr><td>${esc(k)}</td><td class="num">${n3(v)}</td></tr>`).join('')}</table>`;
  }
  return out;
}

function layerTicks(ids: number[]): { at: number[]; label: (v: number) => string } {
  const step = ids.length <= 16 ? 1 : niceStep(ids.length, 8);
  const at = ids.map((_, i) => i).filter((i) => i % step === 0);
  return { at, label: (v) => String(ids[v] ?? v) };
}

/** Axis titles and y scale of an observable's histogram panel. */
export function histogramAxes(o: Pick<ObservableResult, 'name' | 'group'>, grid: boolean): { xLabel: string; yLabel: string; logY: boolean | 'auto' } {
  return {
    xLabel: observableAxisLabel(o, grid),
    yLabel: o.group === 'voxel' ? 'fraction of voxels' : 'fraction of showers',
    // energy spectra are read on a log scale; the rest goes log when its contents span two decades
    logY: o.group === 'E_dep' || o.group === 'E_layer' || o.group === 'voxel' ? true : 'auto',
  };
}

/**
 * The histogram panels, `panel(o)` per observable with a histogram in `h`: the global observables
 * together, then one block per per-layer family. DS1's per-energy E_dep/E_inc histograms are left
 * out when `h` has the energy-response panels.
 */
export function histogramBlocks(observables: readonly ObservableResult[], h: EvaluationHistograms, panel: (o: ObservableResult) => string): string {
  let html = '';
  let group = '';
  const perEnergyShown = h.incidentEnergy.length > 0;
  const shown = observables.filter((o) => h.histograms[o.name] && !(perEnergyShown && o.group === 'E_dep/E_inc per energy'));
  const ordered = [...shown.filter((o) => o.layer === undefined), ...shown.filter((o) => o.layer !== undefined)];
  for (const o of ordered) {
    const family = o.layer === undefined ? 'Global observables' : `${o.group} per layer`;
    if (family !== group) {
      html += `${group ? '</div>' : ''}<h3>${esc(family)}</h3><div class="grid">`;
      group = family;
    }
    html += panel(o);
  }
  return group ? `${html}</div>` : html;
}

/**
 * The longitudinal and radial profile panels of `h` (reference against its generated sample and
 * any `others`, each a further sample's histograms against the same reference), with their notes.
 */
export function profilePanels(h: EvaluationHistograms, labels: [string, string], notes: { longitudinal?: string; radial?: string } = {}, others: readonly { label: string; h: EvaluationHistograms }[] = []): string {
  const L = h.longitudinal;
  const ids = L.layers;
  const edges = ids.map((_, i) => i - 0.5).concat(ids.length - 0.5);
  const R = h.radial;
  const width = R.edges.slice(1).map((e, i) => e - R.edges[i]);
  const positive = R.edges.find((e) => e > 0) ?? 1;
  const logX = R.edges[R.edges.length - 1] / positive > 100;
  const unit = R.unit === 'mm' ? 'mm' : 'cell';
  const perWidth = (v: number[]): number[] => v.map((x, i) => x / width[i]);
  return (
    binnedSvg({
      title: 'Longitudinal profile',
      note: notes.longitudinal,
      edges,
      reference: L.reference,
      generated: L.generated,
      labels,
      xLabel: 'layer',
      yLabel: 'energy per shower [MeV]',
      logY: true,
      xTicks: layerTicks(ids),
      ...(others.length ? { others: others.map((o) => ({ label: o.label, values: o.h.longitudinal.generated })) } : {}),
    }) +
    binnedSvg({
      title: 'Radial profile (all layers)',
      note: notes.radial,
      edges: R.edges,
      reference: perWidth(R.reference),
      generated: perWidth(R.generated),
      labels,
      xLabel: `r [${unit}]${logX ? ', first bin from 0' : ''}`,
      yLabel: `dE/dr [MeV/${unit}]`,
      logX,
      logY: true,
      ...(others.length ? { others: others.map((o) => ({ label: o.label, values: perWidth(o.h.radial.generated) })) } : {}),
    })
  );
}

/** Renders the HTML report of a result. */
export function renderReport(result: EvaluationResult, h: EvaluationHistograms): string {
  const labels: [string, string] = [result.labels.reference, result.labels.generated];
  const grid = h.images.geometry.kind === 'grid';
  const sections: { id: string; title: string; html: string }[] = [];

  sections.push({
    id: 'summary',
    title: 'Summary and provenance',
    html: `<div class="grid">${summaryTables(result)}</div>${provenanceTable(result)}<details><summary>text summary (as printed by the CLI)</summary><pre>${esc(formatTable(result))}</pre></details>`,
  });

  // profiles
  {
    const R = h.radial;
    const s = result.profiles;
    let html = '<div class="grid">';
    html += profilePanels(h, labels, {
      longitudinal: s ? `S = ${n3(s.longitudinal.separationPower)}, JSD = ${n3(s.longitudinal.jsd)}` : undefined,
      radial: s ? `S = ${n3(s.radial.separationPower)}, JSD = ${n3(s.radial.jsd)}` : undefined,
    });
    html += '</div>';
    html +=
      R.unit === 'mm'
        ? '<p class="caption">Radial profile: every layer keeps its own r bins; each bin\'s energy is shared uniformly in r among the bins of the union of all layers\' edges, and the sum is divided by the bin width (the sum over layers of dE/dr). Ratio panels: generated / reference, range 0.5–1.5; triangles mark points beyond it.</p>'
        : '<p class="caption">Radial profile: energy vs distance of the cell centre from the grid centre, unit-wide bins. Ratio panels: generated / reference, range 0.5–1.5; triangles mark points beyond it.</p>';
    sections.push({ id: 'profiles', title: 'Profiles', html });
  }

  // energy response
  if (h.incidentEnergy.length || (result.linearity && result.linearity.length)) {
    let html = '';
    if (h.incidentEnergy.length) {
      html += '<h3>E_dep / E_inc per incident energy</h3><div class="grid">';
      for (const { bin, pair } of h.incidentEnergy) {
        html += histogramSvg(`E_inc = ${bin.label}`, pair, labels, {
          note: `S = ${n3(bin.separationPower)}, JSD = ${n3(bin.jsd)}; ${bin.referenceShowers} / ${bin.generatedShowers} showers`,
          xLabel: 'E_dep / E_inc',
          yLabel: 'fraction of showers',
          logY: false,
        });
      }
      html += '</div>';
    }
    if (result.linearity && result.linearity.length) {
      const L = result.linearity;
      const x = L.map((r) => r.energy);
      html += '<h3>Linearity and resolution (μ90 and σ90/μ90 of E_dep/E_inc)</h3><div class="grid">';
      // Reference and generated curves of one linearity-table quantity, with its error.
      const pair = (title: string, yLabel: string, key: 'linearity' | 'resolution', logY: boolean): string =>
        curvesSvg({
          title,
          series: [
            { label: labels[0], x, y: L.map((r) => r.reference[key]), yErr: L.map((r) => r.reference[`${key}Error`]), colour: REF },
            { label: labels[1], x, y: L.map((r) => r.generated[key]), yErr: L.map((r) => r.generated[`${key}Error`]), colour: GEN, dash: true },
          ],
          xLabel: 'E_inc [MeV]',
          yLabel,
          logX: true,
          ...(logY ? { logY: true } : {}),
        });
      html += pair('Linearity', 'μ90(E_dep / E_inc)', 'linearity', false);
      html += pair('Resolution', 'σ90 / μ90', 'resolution', true);
      html += '</div>';
    }
    sections.push({ id: 'energy', title: 'Energy response', html });
  }

  // shower images
  {
    const g = h.images.geometry;
    const { layers, every } = imageLayers(g);
    const total = layerInfo(g).length;
    let html = `<p class="caption">Mean thresholded energy per voxel and shower, log colour scale shared by both samples of a layer (grey: no energy). ${
      g.kind === 'cylindrical' ? 'Each voxel is an annular sector (r, α); α = 0 points right and grows counter-clockwise; layers whose r bins vary in width are drawn with a log(1 + r/r₁) radius so the inner bins stay visible.' : 'Cells: x to the right, y up.'
    }${every > 1 ? ` Showing every ${ordinal(every)} of ${total} layers (plus the last) to keep the report small.` : ''}</p><div class="grid">`;
    for (const li of layers) html += layerImageSvg(g, li, h.images.reference, h.images.generated, labels);
    html += '</div>';
    const shown = showerLayers(g, h.images.reference);
    const all = [...h.showers.reference.map((s) => [labels[0], s] as const), ...h.showers.generated.map((s) => [labels[1], s] as const)];
    if (all.length) {
      html += `<h3>Single showers</h3><p class="caption">${h.showers.reference.length} + ${h.showers.generated.length} showers chosen uniformly at random (seed ${h.showers.seed}); ${
        shown.length < total ? `the ${shown.length} layers with the most mean reference energy` : 'every layer'
      }, each shower on its own log colour scale.</p><div class="grid">`;
      for (const [label, s] of all) html += showerSvg(g, s, truncate(label, 30), shown);
      html += '</div>';
    }
    sections.push({ id: 'images', title: 'Shower images', html });
  }

  // histograms: the global observables together, then one block per per-layer family
  {
    const perEnergyShown = h.incidentEnergy.length > 0;
    let html = histogramBlocks(result.observables, h, (o) =>
      histogramSvg(o.name, h.histograms[o.name], labels, {
        note: `S = ${n3(o.separationPower)}, JSD = ${n3(o.jsd)}${o.official ? '' : ' (calozoo binning)'}`,
        ...histogramAxes(o, grid),
      }),
    );
    html += `<p class="caption">${perEnergyShown && result.observables.some((o) => o.group === 'E_dep/E_inc per energy') ? 'E_dep/E_inc per incident energy: see <a href="#energy">Energy response</a>. ' : ''}Histograms are normalised to unit sum; “calozoo binning”: no official CaloChallenge binning exists for the observable. Ratio panels: generated / reference with statistical errors, range 0.5–1.5; triangles mark points beyond it. S: separation power, JSD: Jensen–Shannon distance.</p>`;
    sections.push({ id: 'histograms', title: 'Histograms', html });
  }

  if (result.correlation) {
    const c = result.correlation;
    const diff = c.reference.map((row, i) => row.map((v, j) => v - c.generated[i][j]));
    let html = '<div class="grid">';
    html += matrixSvg(truncate(labels[0], 36), c.names, c.reference, { label: 'Pearson ρ' });
    html += matrixSvg(truncate(labels[1], 36), c.names, c.generated, { label: 'Pearson ρ' });
    html += matrixSvg('reference − generated (lower triangle)', c.names, diff, { range: 0.5, label: 'Δρ', lowerOnly: true });
    html += '</div>';
    sections.push({ id: 'correlations', title: `Correlations (Σ|Δρ| over the lower triangle = ${n4(c.sumAbsDifference)})`, html });
  }

  if (result.fpd) {
    const f = result.fpd;
    const x = f.batchSizes.map((b) => 1e4 / b);
    const xmax = Math.max(...x);
    const html =
      '<div class="grid">' +
      curvesSvg({
        title: 'Fréchet distance vs 1/N',
        note: `FPD = a = ${n3(f.value)} ± ${n3(f.error)} (the fit at 1/N = 0)`,
        series: [
          { label: 'FD(N), bootstrap mean', x, y: f.distances, colour: REF, markersOnly: true },
          { label: 'fit a + b/N', x: [0, xmax], y: [f.value, f.value + (f.slope * xmax) / 1e4], colour: GEN, dash: true, lineOnly: true },
          { label: 'FPD = a', x: [0], y: [f.value], yErr: [f.error], colour: GEN, markersOnly: true },
        ],
        xLabel: '10⁴ / N',
        yLabel: 'Fréchet distance',
        xFromZero: true,
      }) +
      '</div>';
    sections.push({ id: 'fpd', title: 'FPD fit', html });
  }

  const nav = sections.map((s) => `<a href="#${s.id}">${esc(s.title.replace(/ \(.*$/, ''))}</a>`).join(' · ');
  const body = sections.map((s) => `<section id="${s.id}"><h2>${esc(s.title)}</h2>${s.html}</section>`).join('\n');
  return (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>calozoo evaluation: ' +
    esc(result.geometry) +
    '</title><style>' +
    'body{font-family:"DejaVu Sans",Verdana,Helvetica,Arial,sans-serif;margin:16px 20px;background:#fff;color:#222;font-size:14px}' +
    'h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:28px}h3{font-size:15px;margin:18px 0 6px}' +
    '.grid{display:flex;flex-wrap:wrap;gap:10px;align-items:flex-start}pre{background:#f4f4f4;padding:8px;overflow-x:auto;font-size:12px}svg{background:#fff}' +
    'table.prov{border-collapse:collapse;font-size:13px;margin:8px 0}table.prov th{text-align:left;vertical-align:top;padding:3px 12px 3px 0;color:#555;font-weight:normal;white-space:nowrap}table.prov td{padding:3px 0;word-break:break-all}' +
    'table.summary{border-collapse:collapse;font-size:13px;margin:4px 24px 8px 0}table.summary th{text-align:left;border-bottom:1px solid #bbb;padding:3px 14px 3px 0}table.summary td{padding:2px 14px 2px 0}td.num{text-align:right;font-variant-numeric:tabular-nums}summary{cursor:pointer;color:#1f4e9c;font-size:13px}' +
    '.attrs{color:#555}.caption{color:#444;font-size:13px;max-width:1100px}nav{margin:6px 0 10px;font-size:13px}nav a{color:#1f4e9c}' +
    '</style></head><body>' +
    `<h1>calozoo evaluation: ${esc(result.geometry)}</h1><div>${esc(labels[1])} (generated) vs ${esc(labels[0])} (reference), ${result.samples.generated} / ${result.samples.reference} showers</div>` +
    `<nav>${nav}</nav>${body}</body></html>`
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
