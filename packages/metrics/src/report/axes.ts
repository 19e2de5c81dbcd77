/**
 * Axes for the report's inline SVG plots: tick values at nice numbers (1, 2, 5 × 10^k on linear
 * axes, decades with 2–9 minor ticks on log axes), compact labels (`0.02`, `2.5·10⁵`, `10⁻³`),
 * and margins sized from the labels so that nothing is clipped. No external resources.
 */

/** Font stack of every plot (DejaVu Sans is what headless Chromium on Debian renders). */
export const FONT = 'DejaVu Sans, Verdana, Helvetica, Arial, sans-serif';

/** Escapes text for XML. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Conservative width in px of `s` at font size `size` (DejaVu Sans averages about 0.6 em per character). */
export function textWidth(s: string, size: number): number {
  let w = 0;
  for (const c of s) w += c === '·' || c === '.' || c === ',' || c === ' ' || c === '|' || c === 'i' || c === 'l' ? 0.34 : /[A-Z_mwMW—]/.test(c) ? 0.8 : 0.63;
  return w * size;
}

/** Shortens `s` to at most `max` characters with an ellipsis. */
export function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}…`;
}

const SUPERSCRIPT: Record<string, string> = { '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '-': '⁻' };

/** `10ⁿ` with a superscript exponent. */
function powerOfTen(n: number): string {
  return `10${String(n).replace(/./g, (c) => SUPERSCRIPT[c] ?? c)}`;
}

/**
 * Compact label of a tick value: fixed-point with the decimals the step needs (`0.05`, `120`),
 * or mantissa·10ⁿ beyond 10⁴ and below 10⁻³ (`2.5·10⁵`, `10⁻⁴`).
 */
export function formatTick(v: number, step?: number): string {
  if (v === 0 || !Number.isFinite(v)) return Number.isFinite(v) ? '0' : String(v);
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3 || (step !== undefined && step < 1e-3)) {
    const e = Math.floor(Math.log10(a) + 1e-9);
    const m = Number((v / 10 ** e).toPrecision(2));
    if (Math.abs(m) === 10) return `${m < 0 ? '−' : ''}${powerOfTen(e + 1)}`;
    return Math.abs(m) === 1 ? `${m < 0 ? '−' : ''}${powerOfTen(e)}` : `${String(m).replace('-', '−')}·${powerOfTen(e)}`;
  }
  let decimals = Math.max(0, 2 - Math.floor(Math.log10(a)));
  if (step !== undefined) for (decimals = 0; decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6; decimals++);
  const s = v.toFixed(decimals);
  return (step === undefined && s.includes('.') ? s.replace(/\.?0+$/, '') : s).replace('-', '−');
}

/** The nice step (1, 2 or 5 × 10^k) that cuts `span` into about `target` intervals. */
export function niceStep(span: number, target = 5): number {
  if (!(span > 0)) return 1;
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

/** Tick values at multiples of a nice step inside [lo, hi]. */
export function linearTicks(lo: number, hi: number, target = 5): { values: number[]; step: number } {
  const step = niceStep(hi - lo, target);
  const values: number[] = [];
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) values.push(Math.abs(k * step) < step * 1e-9 ? 0 : k * step);
  return { values, step };
}

/** Log-axis ticks in [lo, hi]: labelled majors (decades, every k-th decade on long axes, 1-2-5 on short ones) and minors. */
export function logTicks(lo: number, hi: number, maxLabels = 7): { major: number[]; minor: number[] } {
  const k0 = Math.ceil(Math.log10(lo) - 1e-9);
  const k1 = Math.floor(Math.log10(hi) + 1e-9);
  const inside = (v: number): boolean => v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9);
  const decades = k1 - k0 + 1;
  if (decades < 2) {
    const major: number[] = [];
    for (let k = k0 - 1; k <= k1; k++) for (const m of [1, 2, 5]) if (inside(m * 10 ** k)) major.push(m * 10 ** k);
    if (major.length < 2) return { major: linearTicks(lo, hi, 3).values.filter((v) => v > 0), minor: [] };
    return { major, minor: [] };
  }
  const every = Math.ceil(decades / maxLabels);
  const major: number[] = [];
  const minor: number[] = [];
  for (let k = k0 - 1; k <= k1; k++) {
    if (k >= k0 && (k - k0) % every === 0) major.push(10 ** k);
    else if (inside(10 ** k)) minor.push(10 ** k);
    if (decades <= 8) for (let m = 2; m <= 9; m++) if (inside(m * 10 ** k)) minor.push(m * 10 ** k);
  }
  return { major, minor };
}

/** Labels of log ticks: plain numbers when every labelled value lies in [0.01, 1000], else 10ⁿ. */
export function logTickLabels(values: number[]): string[] {
  const plain = values.every((v) => v >= 0.00999 && v <= 1000.001);
  return values.map((v) => {
    if (plain) return formatTick(v, 10 ** Math.floor(Math.log10(v) + 1e-9));
    const e = Math.log10(v);
    return Math.abs(e - Math.round(e)) < 1e-9 ? powerOfTen(Math.round(e)) : formatTick(v);
  });
}

/** A plot axis: range and whether it is logarithmic. */
export interface Axis {
  lo: number;
  hi: number;
  log: boolean;
}

/** Maps data values of an axis onto pixels [a, b] (values outside are clamped to the nearer end). */
export function scale(ax: Axis, a: number, b: number): (v: number) => number {
  const f = (v: number): number => (ax.log ? Math.log10(Math.max(v, ax.lo * 1e-3, 1e-300)) : v);
  const lo = f(ax.lo);
  const span = f(ax.hi) - lo || 1;
  return (v) => {
    const t = Math.min(1, Math.max(0, (f(v) - lo) / span));
    return a + t * (b - a);
  };
}

/** The tick values and labels of an axis. */
export interface Ticks {
  major: number[];
  labels: string[];
  minor: number[];
}

/** Ticks of an axis, or of a categorical axis when `at`/`label` are given. */
export function axisTicks(ax: Axis, target = 5, categorical?: { at: number[]; label: (v: number) => string }): Ticks {
  if (categorical) return { major: categorical.at, labels: categorical.at.map(categorical.label), minor: [] };
  if (ax.log) {
    const t = logTicks(ax.lo, ax.hi);
    return { major: t.major, labels: logTickLabels(t.major), minor: t.minor };
  }
  const t = linearTicks(ax.lo, ax.hi, target);
  return { major: t.values, labels: t.values.map((v) => formatTick(v, t.step)), minor: [] };
}

/** Width in px of the widest tick label. */
export function labelWidth(t: Ticks, size: number): number {
  return Math.max(0, ...t.labels.map((l) => textWidth(l, size)));
}

/** The plotting rectangle. */
export interface Frame {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

const TICK_FONT = 10;

/** Frame rectangle of a plot. */
export function frameSvg(f: Frame): string {
  return `<rect x="${f.x0}" y="${f.y0}" width="${f.x1 - f.x0}" height="${f.y1 - f.y0}" fill="none" stroke="#222" stroke-width="0.9"/>`;
}

/** Bottom axis: inward ticks on the frame, optional labels below and a title. */
export function xAxisSvg(t: Ticks, f: Frame, sx: (v: number) => number, options: { labels?: boolean; title?: string } = {}): string {
  let out = '';
  const inside = (x: number): boolean => x >= f.x0 - 0.01 && x <= f.x1 + 0.01;
  for (const v of t.minor) {
    const x = sx(v);
    if (inside(x)) out += `<path d="M${x.toFixed(1)},${f.y1}v-2.5M${x.toFixed(1)},${f.y0}v2.5" stroke="#222" stroke-width="0.7"/>`;
  }
  t.major.forEach((v, i) => {
    const x = sx(v);
    if (!inside(x)) return;
    out += `<path d="M${x.toFixed(1)},${f.y1}v-5M${x.toFixed(1)},${f.y0}v5" stroke="#222" stroke-width="0.9"/>`;
    if (options.labels !== false) out += `<text x="${x.toFixed(1)}" y="${f.y1 + 16}" font-size="${TICK_FONT}" text-anchor="middle">${esc(t.labels[i])}</text>`;
  });
  if (options.title) out += `<text x="${((f.x0 + f.x1) / 2).toFixed(1)}" y="${f.y1 + 32}" font-size="11" text-anchor="middle">${esc(options.title)}</text>`;
  return out;
}

/** Left axis: inward ticks, labels to the left and a rotated title left of the labels. */
export function yAxisSvg(t: Ticks, f: Frame, sy: (v: number) => number, options: { title?: string; titleX?: number } = {}): string {
  let out = '';
  const inside = (y: number): boolean => y >= f.y0 - 0.01 && y <= f.y1 + 0.01;
  for (const v of t.minor) {
    const y = sy(v);
    if (inside(y)) out += `<path d="M${f.x0},${y.toFixed(1)}h2.5M${f.x1},${y.toFixed(1)}h-2.5" stroke="#222" stroke-width="0.7"/>`;
  }
  t.major.forEach((v, i) => {
    const y = sy(v);
    if (!inside(y)) return;
    out += `<path d="M${f.x0},${y.toFixed(1)}h5M${f.x1},${y.toFixed(1)}h-5" stroke="#222" stroke-width="0.9"/>`;
    out += `<text x="${f.x0 - 4}" y="${(y + 3.5).toFixed(1)}" font-size="${TICK_FONT}" text-anchor="end">${esc(t.labels[i])}</text>`;
  });
  if (options.title) {
    const x = options.titleX ?? 12;
    const y = (f.y0 + f.y1) / 2;
    out += `<text x="${x}" y="${y.toFixed(1)}" font-size="11" text-anchor="middle" transform="rotate(-90 ${x} ${y.toFixed(1)})">${esc(options.title)}</text>`;
  }
  return out;
}

/** Left margin that fits tick labels of width `labels` px and a rotated title. */
export function leftMargin(labels: number): number {
  return Math.ceil(labels + 26);
}

/** Tick font size (px) of every axis. */
export const TICK_FONT_SIZE = TICK_FONT;
