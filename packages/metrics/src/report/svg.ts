/**
 * Inline-SVG plots of the report: binned comparisons (histograms and profiles) with a fixed-range
 * ratio panel, x–y curves with error bars, and correlation matrices with a colour bar. Every plot
 * has ticks and labels on its axes, keeps its legend above the plotting area, and marks its
 * drawn data with `class="data"` and its legend with `class="legend"` (the layout test reads them).
 */
import type { HistogramPair } from '../histogram.js';
import { FONT, axisTicks, esc, formatTick, frameSvg, labelWidth, leftMargin, scale, textWidth, truncate, xAxisSvg, yAxisSvg, type Axis, type Frame, TICK_FONT_SIZE } from './axes.js';

/** Colour of the reference sample. */
export const REF = '#1f4e9c';
/** Fill under the reference histogram. */
const REF_FILL = '#d3def2';
/** Colour of the generated sample. */
export const GEN = '#d9480f';

/** Ratio-panel range (generated / reference); points outside are drawn as arrows on the edge. */
const RATIO_RANGE: readonly [number, number] = [0.5, 1.5];

/** Opening tag of a report SVG of the given size (its viewBox equals its size). */
export function svgOpen(width: number, height: number, title: string): string {
  return `<svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" role="img"><title>${esc(title)}</title>`;
}

/** One legend entry. */
interface LegendItem {
  label: string;
  colour: string;
  kind: 'line' | 'fill' | 'marker';
  dash?: boolean;
}

/** A one-row legend centred on `cx` at baseline `y`, labels shortened to fit `maxWidth` px. */
function legendSvg(items: LegendItem[], cx: number, y: number, maxWidth: number): string {
  const size = 10;
  const gap = 14;
  const swatch = 18;
  let chars = 40;
  const width = (): number => items.reduce((w, it) => w + swatch + 4 + textWidth(truncate(it.label, chars), size), 0) + gap * (items.length - 1);
  while (chars > 6 && width() > maxWidth) chars--;
  let x = cx - width() / 2;
  let out = `<g class="legend">`;
  for (const it of items) {
    const sy = y - 3.5;
    if (it.kind === 'fill') out += `<rect x="${x.toFixed(1)}" y="${(sy - 4).toFixed(1)}" width="${swatch}" height="8" fill="${REF_FILL}" stroke="${it.colour}" stroke-width="1.2"/>`;
    else if (it.kind === 'marker') out += `<circle cx="${(x + swatch / 2).toFixed(1)}" cy="${sy.toFixed(1)}" r="2.6" fill="${it.colour}"/>`;
    else out += `<path d="M${x.toFixed(1)},${sy.toFixed(1)}h${swatch}" stroke="${it.colour}" stroke-width="1.6"${it.dash ? ' stroke-dasharray="4 2"' : ''}/>`;
    const label = truncate(it.label, chars);
    out += `<text x="${(x + swatch + 4).toFixed(1)}" y="${y}" font-size="${size}">${esc(label)}${label !== it.label ? `<title>${esc(it.label)}</title>` : ''}</text>`;
    x += swatch + 4 + textWidth(label, size) + gap;
  }
  return `${out}</g>`;
}

/** A binned comparison of two samples (a histogram or a profile). */
export interface BinnedPlot {
  /** Plot title. */
  title: string;
  /** Second title line, e.g. separation power and JSD. */
  note?: string;
  /** Bin edges (length bins + 1). */
  edges: number[];
  /** Reference value per bin (already normalised as it should be drawn). */
  reference: number[];
  /** Generated value per bin. */
  generated: number[];
  /** Sample names. */
  labels: [string, string];
  /** x-axis title. */
  xLabel: string;
  /** y-axis title. */
  yLabel: string;
  /** Logarithmic x axis (for log-spaced bins). */
  logX?: boolean;
  /** Logarithmic y axis; `auto` (default) when the positive contents span two decades or more. */
  logY?: boolean | 'auto';
  /** Raw counts behind the values, for the ratio's statistical error bars. */
  counts?: { reference: number[]; generated: number[] };
  /** A categorical x axis: tick positions and their labels (e.g. layer ids). */
  xTicks?: { at: number[]; label: (v: number) => string };
  /** Further generated samples drawn over the same reference (a comparison of models), each in its own colour. */
  others?: readonly OtherSample[];
}

/** A further generated sample of a binned plot. */
interface OtherSample {
  /** Legend label. */
  label: string;
  /** Value per bin, normalised as the reference. */
  values: number[];
  /** Raw counts per bin, for the ratio's error bars. */
  counts?: number[];
}

/** Colours of the generated samples after the first (`GEN`), in order. */
export const OTHER_COLOURS: readonly string[] = ['#2b8a3e', '#7048e8', '#c2255c', '#0b7285', '#5c940d', '#495057'];

const W = 400;

/** Whether positive values span at least `decades` decades (a log axis shows them better). */
function spansDecades(values: number[], decades = 2): boolean {
  const pos = values.filter((v) => v > 0 && Number.isFinite(v));
  return pos.length > 1 && Math.max(...pos) / Math.min(...pos) >= 10 ** decades;
}

function stepPath(edges: number[], y: number[], sx: (v: number) => number, sy: (v: number) => number): string {
  let d = '';
  for (let i = 0; i < y.length; i++) {
    const h = sy(y[i]).toFixed(1);
    d += `${i === 0 ? `M${sx(edges[0]).toFixed(1)},${h}` : `V${h}`}H${sx(edges[i + 1]).toFixed(1)}`;
  }
  return d;
}

function yRange(values: number[], log: boolean): Axis {
  const finite = values.filter((v) => Number.isFinite(v));
  const max = Math.max(1e-300, ...finite);
  if (log) {
    const pos = finite.filter((v) => v > 0);
    const min = pos.length ? Math.min(...pos) : max / 10;
    return { lo: Math.max(min / 2, max * 1e-7), hi: max * 2.5, log: true };
  }
  return { lo: 0, hi: max * 1.08, log: false };
}

/** Step plot of two samples over bins with a ratio panel of fixed range 0.5–1.5 (arrows mark points beyond it). */
export function binnedSvg(p: BinnedPlot): string {
  const all = [...p.reference, ...p.generated, ...(p.others ?? []).flatMap((o) => o.values)];
  const log = p.logY === 'auto' || p.logY === undefined ? spansDecades(all) : p.logY;
  const ya = yRange(all, log);
  const yt = axisTicks(ya, 5);
  const rt = axisTicks({ lo: RATIO_RANGE[0], hi: RATIO_RANGE[1], log: false }, 2);
  const positive = p.edges.find((e) => e > 0) ?? 1;
  const xa: Axis = { lo: p.logX && !(p.edges[0] > 0) ? positive / 2 : p.edges[0], hi: p.edges[p.edges.length - 1], log: !!p.logX };
  const xt = axisTicks(xa, 5, p.xTicks);
  const x0 = leftMargin(Math.max(labelWidth(yt, TICK_FONT_SIZE), labelWidth(rt, TICK_FONT_SIZE)));
  const lastHalf = xt.labels.length ? textWidth(xt.labels[xt.labels.length - 1], TICK_FONT_SIZE) / 2 : 0;
  const x1 = W - Math.max(14, Math.ceil(lastHalf) + 4);
  const main: Frame = { x0, y0: 54, x1, y1: 206 };
  const ratio: Frame = { x0, y0: 216, x1, y1: 264 };
  const sx = scale(xa, x0, x1);
  const sy = scale(ya, main.y1, main.y0);
  const sr = scale({ lo: RATIO_RANGE[0], hi: RATIO_RANGE[1], log: false }, ratio.y1, ratio.y0);
  const ref = stepPath(p.edges, p.reference, sx, sy);
  const fill = `${ref}L${sx(p.edges[p.edges.length - 1]).toFixed(1)},${main.y1}L${sx(p.edges[0]).toFixed(1)},${main.y1}Z`;
  // The first generated sample is dashed orange as in a two-sample report; further ones solid, in their colours.
  const samples = [
    { label: p.labels[1], values: p.generated, counts: p.counts?.generated, colour: GEN, dash: true },
    ...(p.others ?? []).map((o, k) => ({ label: o.label, values: o.values, counts: o.counts, colour: OTHER_COLOURS[k % OTHER_COLOURS.length]!, dash: false })),
  ];
  let lines = '';
  let ratios = '';
  for (const smp of samples) {
    let points = '';
    let bars = '';
    let arrows = '';
    for (let i = 0; i < p.reference.length; i++) {
      const a = p.reference[i];
      const b = smp.values[i];
      if (!(a > 0) && !(b > 0)) continue;
      const lo = p.edges[i];
      const hi = p.edges[i + 1];
      const c = sx(p.logX && lo > 0 ? Math.sqrt(lo * hi) : (lo + hi) / 2);
      if (c < x0 || c > x1) continue;
      const r = a > 0 ? b / a : Infinity;
      const cx = c.toFixed(1);
      if (r > RATIO_RANGE[1]) arrows += `M${cx},${ratio.y0 + 1}l-3.2,5.5h6.4z`;
      else if (r < RATIO_RANGE[0]) arrows += `M${cx},${ratio.y1 - 1}l-3.2,-5.5h6.4z`;
      else {
        const na = p.counts?.reference[i] ?? 0;
        const nb = smp.counts?.[i] ?? 0;
        if (na > 0 && nb > 0) {
          const e = r * Math.sqrt(1 / na + 1 / nb);
          bars += `M${cx},${sr(r - e).toFixed(1)}V${sr(r + e).toFixed(1)}`;
        }
        points += `<circle cx="${cx}" cy="${sr(r).toFixed(1)}" r="1.7"/>`;
      }
    }
    lines += `<path class="data" d="${stepPath(p.edges, smp.values, sx, sy)}" fill="none" stroke="${smp.colour}" stroke-width="1.3"${smp.dash ? ' stroke-dasharray="4 2"' : ''}/>`;
    ratios += `<g class="data" fill="${smp.colour}">${bars ? `<path d="${bars}" stroke="${smp.colour}" stroke-width="0.8"/>` : ''}${arrows ? `<path d="${arrows}"/>` : ''}${points}</g>`;
  }
  return (
    svgOpen(W, 304, p.title) +
    `<text x="${W / 2}" y="15" font-size="12" font-weight="bold" text-anchor="middle">${esc(p.title)}</text>` +
    (p.note ? `<text x="${W / 2}" y="30" font-size="10" fill="#444" text-anchor="middle">${esc(p.note)}</text>` : '') +
    legendSvg(
      [{ label: p.labels[0], colour: REF, kind: 'fill' }, ...samples.map((smp): LegendItem => ({ label: smp.label, colour: smp.colour, kind: 'line', dash: smp.dash }))],
      (x0 + x1) / 2,
      45,
      x1 - x0,
    ) +
    `<path class="data" d="${fill}" fill="${REF_FILL}" stroke="${REF}" stroke-width="1.3"/>` +
    lines +
    frameSvg(main) +
    yAxisSvg(yt, main, sy, { title: p.yLabel }) +
    xAxisSvg(xt, main, sx, { labels: false }) +
    `<path d="M${x0},${sr(1).toFixed(1)}H${x1}" stroke="#888" stroke-width="0.8" stroke-dasharray="3 2"/>` +
    ratios +
    frameSvg(ratio) +
    yAxisSvg(rt, ratio, sr, { title: 'gen/ref' }) +
    xAxisSvg(xt, ratio, sx, { title: p.xLabel }) +
    '</svg>'
  );
}

/** Unit-sum step histograms of two samples (and any `others`) with their ratios (statistical error bars from the counts). */
export function histogramSvg(
  title: string,
  h: HistogramPair,
  labels: [string, string],
  options: { note?: string; xLabel?: string; yLabel?: string; logY?: boolean | 'auto'; others?: readonly { label: string; counts: number[] }[] } = {},
): string {
  const norm = (c: number[]): number[] => {
    const s = c.reduce((a, b) => a + b, 0);
    return c.map((v) => (s > 0 ? v / s : 0));
  };
  return binnedSvg({
    title,
    note: options.note,
    edges: h.edges,
    reference: norm(h.reference),
    generated: norm(h.generated),
    labels,
    xLabel: options.xLabel ?? title,
    yLabel: options.yLabel ?? 'fraction per bin',
    logX: h.logX,
    logY: options.logY ?? 'auto',
    counts: { reference: h.reference, generated: h.generated },
    ...(options.others?.length ? { others: options.others.map((o) => ({ label: o.label, values: norm(o.counts), counts: o.counts })) } : {}),
  });
}

/** One series of an x–y plot. */
export interface Series {
  /** Legend label. */
  label: string;
  /** x values. */
  x: number[];
  /** y values. */
  y: number[];
  /** Symmetric y errors. */
  yErr?: number[];
  /** Stroke colour. */
  colour: string;
  /** Dashed line. */
  dash?: boolean;
  /** Draw markers only, no line. */
  markersOnly?: boolean;
  /** Draw the line only, no markers. */
  lineOnly?: boolean;
}

/** x–y curves with optional error bars, log axes, and the legend above the plot. */
export function curvesSvg(p: { title: string; note?: string; series: Series[]; xLabel: string; yLabel: string; logX?: boolean; logY?: boolean; xFromZero?: boolean }): string {
  const xs = p.series.flatMap((s) => s.x).filter(Number.isFinite);
  const ys = p.series.flatMap((s) => s.y.flatMap((y, i) => [y - (s.yErr?.[i] ?? 0), y + (s.yErr?.[i] ?? 0)])).filter(Number.isFinite);
  const xmin = Math.min(...xs);
  const xmax = Math.max(...xs);
  const xa: Axis = p.logX ? { lo: xmin / 1.5, hi: xmax * 1.5, log: true } : { lo: p.xFromZero ? -0.04 * (xmax || 1) : xmin - 0.05 * (xmax - xmin || 1), hi: xmax + 0.05 * (xmax - xmin || 1), log: false };
  let ya: Axis;
  if (p.logY) {
    const pos = ys.filter((v) => v > 0);
    ya = { lo: Math.min(...pos) / 2, hi: Math.max(...pos) * 2, log: true };
  } else {
    const lo = Math.min(...ys);
    const hi = Math.max(...ys);
    const pad = 0.08 * (hi - lo || Math.abs(hi) || 1);
    ya = { lo: lo - pad, hi: hi + pad, log: false };
  }
  const yt = axisTicks(ya, 5);
  const xt = axisTicks(xa, 5);
  const x0 = leftMargin(labelWidth(yt, TICK_FONT_SIZE));
  const lastHalf = xt.labels.length ? textWidth(xt.labels[xt.labels.length - 1], TICK_FONT_SIZE) / 2 : 0;
  const f: Frame = { x0, y0: p.note ? 54 : 42, x1: W - Math.max(14, Math.ceil(lastHalf) + 4), y1: 240 };
  const sx = scale(xa, f.x0, f.x1);
  const sy = scale(ya, f.y1, f.y0);
  let body = '';
  for (const s of p.series) {
    const pts = s.x.map((x, i) => [sx(x), sy(s.y[i])] as const).filter((q) => Number.isFinite(q[1]));
    if (!s.markersOnly && pts.length > 1) body += `<polyline class="data" points="${pts.map((q) => `${q[0].toFixed(1)},${q[1].toFixed(1)}`).join(' ')}" fill="none" stroke="${s.colour}" stroke-width="1.3"${s.dash ? ' stroke-dasharray="4 2"' : ''}/>`;
    let marks = '';
    if (s.lineOnly) continue;
    s.x.forEach((x, i) => {
      const y = s.y[i];
      if (!Number.isFinite(y)) return;
      const e = s.yErr?.[i] ?? 0;
      if (e > 0) marks += `<path d="M${sx(x).toFixed(1)},${sy(y - e).toFixed(1)}V${sy(y + e).toFixed(1)}" stroke="${s.colour}" stroke-width="0.9"/>`;
      marks += `<circle cx="${sx(x).toFixed(1)}" cy="${sy(y).toFixed(1)}" r="2.2" fill="${s.colour}"/>`;
    });
    body += `<g class="data">${marks}</g>`;
  }
  const top = p.note ? 45 : 33;
  return (
    svgOpen(W, 282, p.title) +
    `<text x="${W / 2}" y="15" font-size="12" font-weight="bold" text-anchor="middle">${esc(p.title)}</text>` +
    (p.note ? `<text x="${W / 2}" y="30" font-size="10" fill="#444" text-anchor="middle">${esc(p.note)}</text>` : '') +
    legendSvg(
      p.series.map((s): LegendItem => ({ label: s.label, colour: s.colour, kind: s.markersOnly ? 'marker' : 'line', dash: s.dash })),
      (f.x0 + f.x1) / 2,
      top,
      f.x1 - f.x0,
    ) +
    body +
    frameSvg(f) +
    yAxisSvg(yt, f, sy, { title: p.yLabel }) +
    xAxisSvg(xt, f, sx, { title: p.xLabel }) +
    '</svg>'
  );
}

/** Diverging colour of v in [−1, 1]: blue negative, white 0, red positive. */
function divergingColour(v: number): string {
  const f = Math.max(-1, Math.min(1, v));
  const c = (x: number): number => Math.round(255 * (1 - Math.abs(x) * 0.85));
  return f >= 0 ? `rgb(255,${c(f)},${c(f)})` : `rgb(${c(f)},${c(f)},255)`;
}

/** Heat map of a square matrix (values shown in the cells), observable names on both axes and a colour bar over ±range. */
export function matrixSvg(title: string, names: string[], m: number[][], options: { range?: number; label?: string; lowerOnly?: boolean } = {}): string {
  const range = options.range ?? 1;
  const n = names.length;
  const cell = 27;
  const nameW = Math.max(...names.map((s) => textWidth(s, 10)));
  const x0 = Math.ceil(nameW + 10);
  const y0 = 26;
  const side = n * cell;
  const bar = { x: x0 + side + 16, w: 12 };
  const barTicks = [-range, -range / 2, 0, range / 2, range];
  const barLabelW = Math.max(...barTicks.map((v) => textWidth(formatTick(v, range / 2), TICK_FONT_SIZE)));
  const width = Math.ceil(bar.x + bar.w + 6 + barLabelW + 22);
  const height = Math.ceil(y0 + side + nameW * 0.71 + 16);
  let body = '';
  for (let i = 0; i < n; i++) {
    const cy = y0 + (i + 0.5) * cell;
    body += `<text x="${x0 - 4}" y="${(cy + 3.5).toFixed(1)}" font-size="10" text-anchor="end">${esc(names[i])}</text>`;
    const bx = x0 + (i + 0.5) * cell;
    const by = y0 + side + 6;
    body += `<text x="${bx.toFixed(1)}" y="${by}" font-size="10" text-anchor="end" transform="rotate(-45 ${bx.toFixed(1)} ${by})" dy="0.7em">${esc(names[i])}</text>`;
    for (let j = 0; j < n; j++) {
      if (options.lowerOnly && j >= i) continue;
      const v = m[i][j];
      const ok = Number.isFinite(v);
      const x = x0 + j * cell;
      const y = y0 + i * cell;
      body += `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${ok ? divergingColour(v / range) : '#bbb'}" stroke="#fff" stroke-width="0.5"><title>${esc(names[i])} / ${esc(names[j])}: ${ok ? v.toFixed(3) : 'n/a'}</title></rect>`;
      const label = ok ? (Math.abs(v) < 0.005 ? '0' : v.toFixed(2).replace('-', '−').replace(/^(−?)0\./, '$1.')) : '';
      if (label) body += `<text x="${x + cell / 2}" y="${y + cell / 2 + 3}" font-size="8" text-anchor="middle" fill="${Math.abs(v / range) > 0.7 ? '#fff' : '#222'}">${label}</text>`;
    }
  }
  const steps = 40;
  let grad = '';
  for (let k = 0; k < steps; k++) {
    const v = range - ((k + 0.5) / steps) * 2 * range;
    grad += `<rect x="${bar.x}" y="${(y0 + (k * side) / steps).toFixed(2)}" width="${bar.w}" height="${(side / steps + 0.3).toFixed(2)}" fill="${divergingColour(v / range)}"/>`;
  }
  let ticks = '';
  for (const v of barTicks) {
    const y = y0 + ((range - v) / (2 * range)) * side;
    ticks += `<path d="M${bar.x + bar.w},${y.toFixed(1)}h3" stroke="#222"/><text x="${bar.x + bar.w + 5}" y="${(y + 3.5).toFixed(1)}" font-size="${TICK_FONT_SIZE}">${formatTick(v, range / 2)}</text>`;
  }
  const lx = bar.x + bar.w + 9 + barLabelW + 6;
  const ly = y0 + side / 2;
  return (
    svgOpen(width, height, title) +
    `<text x="${x0 + side / 2}" y="15" font-size="12" font-weight="bold" text-anchor="middle">${esc(title)}</text>` +
    body +
    `<rect x="${x0}" y="${y0}" width="${side}" height="${side}" fill="none" stroke="#222" stroke-width="0.9"/>` +
    grad +
    `<rect x="${bar.x}" y="${y0}" width="${bar.w}" height="${side}" fill="none" stroke="#222" stroke-width="0.8"/>` +
    ticks +
    `<text x="${lx}" y="${ly}" font-size="11" text-anchor="middle" transform="rotate(-90 ${lx} ${ly})">${esc(options.label ?? 'Pearson ρ')}</text>` +
    '</svg>'
  );
}
