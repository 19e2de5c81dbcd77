/**
 * Minimal inline-SVG plots for the HTML report: step histograms with a ratio panel, profiles,
 * correlation heat maps and linearity/resolution curves. No scripts, no external resources.
 */
import type { HistogramPair } from '../histogram.js';

const W = 360;
const REF = '#1f4e9c';
const GEN = '#d9480f';

/** Escapes text for XML. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const fmt = (v: number): string => {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-2 ? v.toExponential(1) : String(Number(v.toPrecision(3)));
};

interface Axis {
  lo: number;
  hi: number;
  log: boolean;
}

function scale(ax: Axis, a: number, b: number): (v: number) => number {
  const f = (v: number): number => (ax.log ? Math.log10(Math.max(v, 1e-300)) : v);
  const lo = f(ax.lo);
  const span = f(ax.hi) - lo || 1;
  return (v) => a + ((f(v) - lo) / span) * (b - a);
}

function frame(x0: number, y0: number, x1: number, y1: number): string {
  return `<rect x="${x0}" y="${y0}" width="${x1 - x0}" height="${y1 - y0}" fill="none" stroke="#444" stroke-width="0.8"/>`;
}

function ticks(ax: Axis, sx: (v: number) => number, y: number, n = 4): string {
  let out = '';
  for (let i = 0; i <= n; i++) {
    const v = ax.log ? 10 ** (Math.log10(ax.lo) + (i / n) * (Math.log10(ax.hi) - Math.log10(ax.lo))) : ax.lo + (i / n) * (ax.hi - ax.lo);
    out += `<text x="${sx(v).toFixed(1)}" y="${y}" font-size="9" text-anchor="middle">${fmt(v)}</text>`;
  }
  return out;
}

function steps(edges: number[], y: number[], sx: (v: number) => number, sy: (v: number) => number): string {
  let d = '';
  for (let i = 0; i < y.length; i++) {
    const a = sx(edges[i]).toFixed(1);
    const b = sx(edges[i + 1]).toFixed(1);
    const h = sy(y[i]).toFixed(1);
    d += `${i === 0 ? 'M' : 'L'}${a},${h}L${b},${h}`;
  }
  return d;
}

/** Step histogram of two unit-sum distributions with a generated/reference ratio panel. */
export function histogramSvg(title: string, h: HistogramPair, labels: [string, string], note = ''): string {
  const norm = (c: number[]): number[] => {
    const s = c.reduce((a, b) => a + b, 0);
    return c.map((v) => (s > 0 ? v / s : 0));
  };
  const p = norm(h.reference);
  const q = norm(h.generated);
  const ymax = Math.max(1e-12, ...p, ...q) * 1.1;
  const xa: Axis = { lo: h.edges[0], hi: h.edges[h.edges.length - 1], log: h.logX };
  const sx = scale(xa, 40, W - 10);
  const sy = scale({ lo: 0, hi: ymax, log: false }, 150, 24);
  const sr = scale({ lo: 0.5, hi: 1.5, log: false }, 215, 165);
  let ratio = '';
  for (let i = 0; i < p.length; i++) {
    if (p[i] <= 0) continue;
    const r = Math.min(1.5, Math.max(0.5, q[i] / p[i]));
    const c = h.logX ? Math.sqrt(h.edges[i] * h.edges[i + 1]) : (h.edges[i] + h.edges[i + 1]) / 2;
    ratio += `<circle cx="${sx(c).toFixed(1)}" cy="${sr(r).toFixed(1)}" r="1.4" fill="${GEN}"/>`;
  }
  return (
    `<svg width="${W}" height="240" viewBox="0 0 ${W} 240" role="img">` +
    `<title>${esc(title)}</title><text x="${W / 2}" y="14" font-size="11" text-anchor="middle" font-weight="bold">${esc(title)}</text>` +
    frame(40, 24, W - 10, 150) +
    `<path d="${steps(h.edges, p, sx, sy)}" fill="none" stroke="${REF}" stroke-width="1.3"/>` +
    `<path d="${steps(h.edges, q, sx, sy)}" fill="none" stroke="${GEN}" stroke-width="1.1" stroke-dasharray="4 2"/>` +
    `<text x="${W - 14}" y="36" font-size="9" text-anchor="end" fill="${REF}">${esc(labels[0])}</text>` +
    `<text x="${W - 14}" y="47" font-size="9" text-anchor="end" fill="${GEN}">${esc(labels[1])}</text>` +
    `<text x="44" y="36" font-size="9">${esc(note)}</text>` +
    frame(40, 165, W - 10, 215) +
    `<line x1="40" x2="${W - 10}" y1="${sr(1)}" y2="${sr(1)}" stroke="#999" stroke-dasharray="2 2"/>` +
    ratio +
    `<text x="4" y="${sr(1) + 3}" font-size="8">ratio</text>` +
    ticks(xa, sx, 228) +
    '</svg>'
  );
}

/** Two curves y(x) (e.g. mean energy per layer), optionally with a log y axis. */
export function curvesSvg(title: string, x: number[], a: number[], b: number[], labels: [string, string], xLabel: string, logY = true): string {
  const pos = [...a, ...b].filter((v) => v > 0);
  const ya: Axis = logY && pos.length ? { lo: Math.min(...pos) / 2, hi: Math.max(...pos) * 2, log: true } : { lo: 0, hi: Math.max(1e-12, ...a, ...b) * 1.1, log: false };
  const xa: Axis = { lo: Math.min(...x), hi: Math.max(...x, Math.min(...x) + 1), log: false };
  const sx = scale(xa, 40, W - 10);
  const sy = scale(ya, 200, 24);
  const line = (y: number[], c: string, dash: string): string => {
    const pts = x.map((xi, i) => [sx(xi), sy(Math.max(y[i], ya.lo))]);
    return `<polyline points="${pts.map((p) => `${p[0].toFixed(1)},${p[1].toFixed(1)}`).join(' ')}" fill="none" stroke="${c}" stroke-width="1.3" ${dash}/>` + pts.map((p) => `<circle cx="${p[0].toFixed(1)}" cy="${p[1].toFixed(1)}" r="1.8" fill="${c}"/>`).join('');
  };
  return (
    `<svg width="${W}" height="240" viewBox="0 0 ${W} 240" role="img">` +
    `<title>${esc(title)}</title><text x="${W / 2}" y="14" font-size="11" text-anchor="middle" font-weight="bold">${esc(title)}</text>` +
    frame(40, 24, W - 10, 200) +
    line(a, REF, '') +
    line(b, GEN, 'stroke-dasharray="4 2"') +
    `<text x="${W - 14}" y="36" font-size="9" text-anchor="end" fill="${REF}">${esc(labels[0])}</text>` +
    `<text x="${W - 14}" y="47" font-size="9" text-anchor="end" fill="${GEN}">${esc(labels[1])}</text>` +
    ticks(xa, sx, 213) +
    `<text x="${W / 2}" y="232" font-size="9" text-anchor="middle">${esc(xLabel)}</text>` +
    `<text x="4" y="28" font-size="8">${fmt(ya.hi)}</text><text x="4" y="200" font-size="8">${fmt(ya.lo)}</text>` +
    '</svg>'
  );
}

/** Heat map of a square matrix with values in [−1, 1] (blue negative, red positive). */
export function matrixSvg(title: string, names: string[], m: number[][], range = 1): string {
  const n = names.length;
  const cell = Math.min(22, 260 / n);
  const x0 = 70;
  const y0 = 24;
  let body = '';
  for (let i = 0; i < n; i++) {
    body += `<text x="${x0 - 3}" y="${(y0 + (i + 0.7) * cell).toFixed(1)}" font-size="7" text-anchor="end">${esc(names[i])}</text>`;
    for (let j = 0; j < n; j++) {
      const v = m[i][j];
      const f = Number.isFinite(v) ? Math.max(-1, Math.min(1, v / range)) : 0;
      const c = f >= 0 ? `rgb(255,${Math.round(255 * (1 - f))},${Math.round(255 * (1 - f))})` : `rgb(${Math.round(255 * (1 + f))},${Math.round(255 * (1 + f))},255)`;
      body += `<rect x="${(x0 + j * cell).toFixed(1)}" y="${(y0 + i * cell).toFixed(1)}" width="${cell.toFixed(1)}" height="${cell.toFixed(1)}" fill="${c}"><title>${esc(names[i])} / ${esc(names[j])}: ${Number.isFinite(v) ? v.toFixed(3) : 'n/a'}</title></rect>`;
    }
  }
  const h = y0 + n * cell + 10;
  return `<svg width="${x0 + n * cell + 10}" height="${h}" role="img"><title>${esc(title)}</title><text x="${x0}" y="14" font-size="11" font-weight="bold">${esc(title)}</text>${body}</svg>`;
}
