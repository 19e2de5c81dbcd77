/**
 * Shower images for the report: per-layer mean energy per voxel (reference and generated side by
 * side) and single showers, on a log colour scale (viridis) with a colour bar. Cylindrical
 * (CaloChallenge) layers are drawn as discs of annular sectors, one per (r, α) voxel, α = 0 to
 * the right and increasing counter-clockwise (x_η = r cos α, x_φ = r sin α, field-reference.md
 * §1.2); regular grids as rectangles of cells (x to the right, y up).
 */
import type { CylindricalLayer, Geometry } from '@calozoo/core';
import { formatEnergy } from '../distances/incident-energy.js';
import type { SampledShower } from '../features/shower-sample.js';
import { axisTicks, esc, formatTick, linearTicks, logTickLabels, logTicks, textWidth, truncate, TICK_FONT_SIZE } from './axes.js';
import { svgOpen } from './svg.js';

const VIRIDIS = ['#440154', '#482878', '#3e4a89', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'];
const EMPTY = '#eeeeee';

/** Viridis colour of t in [0, 1]. */
function viridis(t: number): string {
  const x = Math.max(0, Math.min(1, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i];
  const b = VIRIDIS[i + 1];
  const ch = (k: number): number => Math.round(parseInt(a.slice(k, k + 2), 16) * (1 - f) + parseInt(b.slice(k, k + 2), 16) * f);
  return `rgb(${ch(1)},${ch(3)},${ch(5)})`;
}

/** A log colour scale over [lo, hi] (MeV). */
interface ColourScale {
  lo: number;
  hi: number;
}

/** Log colour scale covering the positive values of some arrays, at most `decades` decades deep. */
function colourScale(arrays: ArrayLike<number>[], decades = 6): ColourScale {
  let hi = 0;
  let lo = Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i];
      if (v > hi) hi = v;
      if (v > 0 && v < lo) lo = v;
    }
  }
  if (!(hi > 0)) return { lo: 0.1, hi: 1 };
  lo = Math.max(lo, hi * 10 ** -decades);
  if (!(hi > lo)) lo = hi / 10;
  return { lo, hi };
}

function colourOf(s: ColourScale, v: number): string | undefined {
  if (!(v > 0)) return undefined;
  return viridis((Math.log10(v) - Math.log10(s.lo)) / (Math.log10(s.hi) - Math.log10(s.lo)));
}

/** Vertical colour bar at (x, y) of height h with decade ticks and a rotated title; returns SVG and its width. */
function colourBarSvg(s: ColourScale, x: number, y: number, h: number, title: string): { svg: string; width: number } {
  const steps = 48;
  let out = '';
  for (let k = 0; k < steps; k++) out += `<rect x="${x}" y="${(y + h - ((k + 1) * h) / steps).toFixed(2)}" width="12" height="${(h / steps + 0.3).toFixed(2)}" fill="${viridis((k + 0.5) / steps)}"/>`;
  out += `<rect x="${x}" y="${y}" width="12" height="${h}" fill="none" stroke="#222" stroke-width="0.8"/>`;
  const t = logTicks(s.lo, s.hi, 6);
  const labels = logTickLabels(t.major);
  const pos = (v: number): number => y + h - ((Math.log10(v) - Math.log10(s.lo)) / (Math.log10(s.hi) - Math.log10(s.lo))) * h;
  let lw = 0;
  t.major.forEach((v, i) => {
    const py = pos(v);
    if (py < y - 0.01 || py > y + h + 0.01) return;
    out += `<path d="M${x + 12},${py.toFixed(1)}h3" stroke="#222"/><text x="${x + 17}" y="${(py + 3.5).toFixed(1)}" font-size="${TICK_FONT_SIZE}">${esc(labels[i])}</text>`;
    lw = Math.max(lw, textWidth(labels[i], TICK_FONT_SIZE));
  });
  for (const v of t.minor) {
    const py = pos(v);
    if (py >= y && py <= y + h) out += `<path d="M${x + 12},${py.toFixed(1)}h2" stroke="#222" stroke-width="0.6"/>`;
  }
  const tx = x + 17 + lw + 12;
  const ty = y + h / 2;
  out += `<text x="${tx.toFixed(1)}" y="${ty.toFixed(1)}" font-size="10" text-anchor="middle" transform="rotate(-90 ${tx.toFixed(1)} ${ty.toFixed(1)})">${esc(title)}</text>`;
  return { svg: out, width: 17 + lw + 20 };
}

/** Radius transform of a layer: linear for near-uniform edges, log(1 + r/r₁) when bin widths vary (DS1), so inner bins stay visible. */
function radiusMap(l: CylindricalLayer, R: number): { rho: (r: number) => number; log: boolean } {
  const e = l.rEdges;
  const widths = e.slice(1).map((v, i) => v - e[i]);
  const log = Math.max(...widths) / Math.min(...widths) > 1.5;
  const rmax = e[e.length - 1];
  const r1 = e[1];
  const t = (r: number): number => (log ? Math.log10(1 + r / r1) : r);
  const tmax = t(rmax);
  return { rho: (r) => (R * t(Math.max(0, Math.min(r, rmax)))) / tmax, log };
}

function sectorPath(cx: number, cy: number, r0: number, r1: number, a0: number, a1: number, full: boolean): string {
  const f = (v: number): string => v.toFixed(1);
  if (full) {
    const ring = (r: number): string => `M${f(cx + r)},${f(cy)}A${f(r)},${f(r)} 0 1 0 ${f(cx - r)},${f(cy)}A${f(r)},${f(r)} 0 1 0 ${f(cx + r)},${f(cy)}Z`;
    return r0 > 0 ? ring(r1) + ring(r0) : ring(r1);
  }
  const p = (r: number, a: number): string => `${f(cx + r * Math.cos(a))},${f(cy - r * Math.sin(a))}`;
  const large = a1 - a0 > Math.PI ? 1 : 0;
  const inner = r0 > 0 ? `L${p(r0, a1)}A${f(r0)},${f(r0)} 0 ${large} 1 ${p(r0, a0)}` : `L${f(cx)},${f(cy)}`;
  return `M${p(r1, a0)}A${f(r1)},${f(r1)} 0 ${large} 0 ${p(r1, a1)}${inner}Z`;
}

/** One layer of one sample, drawn centred at (cx, cy) with half-size R, with its r (or x, y) axes; values indexed by voxel. */
function layerPanel(g: Geometry, layerIndex: number, values: ArrayLike<number>, s: ColourScale, cx: number, cy: number, R: number): string {
  let out = '';
  if (g.kind === 'cylindrical') {
    const l = g.layers[layerIndex];
    const { rho, log } = radiusMap(l, R);
    out += `<circle cx="${cx}" cy="${cy}" r="${R}" fill="${EMPTY}"/><g class="data">`;
    const da = (2 * Math.PI) / l.nAlpha;
    for (let a = 0; a < l.nAlpha; a++) {
      for (let k = 0; k < l.nR; k++) {
        const c = colourOf(s, values[l.offset + a * l.nR + k]);
        if (!c) continue;
        const d = sectorPath(cx, cy, rho(l.rEdges[k]), rho(l.rEdges[k + 1]), -Math.PI + a * da, -Math.PI + (a + 1) * da, l.nAlpha === 1);
        out += `<path d="${d}" fill="${c}" stroke="${c}" stroke-width="0.35"${l.nAlpha === 1 ? ' fill-rule="evenodd"' : ''}/>`;
      }
    }
    out += `</g><circle cx="${cx}" cy="${cy}" r="${R}" fill="none" stroke="#222" stroke-width="0.8"/>`;
    // r axis along the radius below the disc
    const rmax = l.rEdges[l.rEdges.length - 1];
    const ay = cy + R + 7;
    let ticks: number[];
    if (log) {
      const cand = [0, ...[1, 2, 5].flatMap((m) => Array.from({ length: 8 }, (_, k) => m * 10 ** (k - 2)))].filter((v) => v <= rmax * 1.0001).sort((x, y) => x - y);
      ticks = [];
      let last = -Infinity;
      for (const v of cand) {
        const px = rho(v);
        const w = textWidth(formatTick(v), TICK_FONT_SIZE - 1);
        if (px - last >= w + 3) {
          ticks.push(v);
          last = px;
        }
      }
    } else ticks = linearTicks(0, rmax, R > 70 ? 4 : 2).values;
    out += `<path d="M${cx},${ay}H${(cx + R).toFixed(1)}" stroke="#222" stroke-width="0.8"/>`;
    for (const v of ticks) {
      const px = cx + rho(v);
      out += `<path d="M${px.toFixed(1)},${ay}v3" stroke="#222" stroke-width="0.8"/><text x="${px.toFixed(1)}" y="${ay + 12}" font-size="${TICK_FONT_SIZE - 1}" text-anchor="middle">${formatTick(v)}</text>`;
    }
    out += `<text x="${(cx - 4).toFixed(1)}" y="${ay + 12}" font-size="${TICK_FONT_SIZE - 1}" text-anchor="end">r [mm]${log ? ' (log)' : ''}</text>`;
    return out;
  }
  const [, nx, ny] = g.shape;
  const aspect = g.cellSizeMm[2] / g.cellSizeMm[1];
  const w = aspect <= 1 ? 2 * R : (2 * R) / aspect;
  const h = aspect <= 1 ? 2 * R * aspect : 2 * R;
  const x0 = cx - w / 2;
  const y0 = cy - h / 2;
  const cw = w / nx;
  const ch = h / ny;
  const base = layerIndex * nx * ny;
  out += `<rect x="${x0.toFixed(1)}" y="${y0.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="${EMPTY}"/><g class="data">`;
  for (let ix = 0; ix < nx; ix++) {
    for (let iy = 0; iy < ny; iy++) {
      const c = colourOf(s, values[base + ix * ny + iy]);
      if (c) out += `<rect x="${(x0 + ix * cw).toFixed(1)}" y="${(y0 + h - (iy + 1) * ch).toFixed(1)}" width="${(cw + 0.3).toFixed(1)}" height="${(ch + 0.3).toFixed(1)}" fill="${c}"/>`;
    }
  }
  out += `</g><rect x="${x0.toFixed(1)}" y="${y0.toFixed(1)}" width="${w.toFixed(1)}" height="${h.toFixed(1)}" fill="none" stroke="#222" stroke-width="0.8"/>`;
  const xt = axisTicks({ lo: 0, hi: nx - 1, log: false }, R > 70 ? 4 : 2);
  xt.major.forEach((v, i) => {
    const px = x0 + (v + 0.5) * cw;
    out += `<path d="M${px.toFixed(1)},${(y0 + h).toFixed(1)}v3" stroke="#222"/><text x="${px.toFixed(1)}" y="${(y0 + h + 13).toFixed(1)}" font-size="${TICK_FONT_SIZE - 1}" text-anchor="middle">${xt.labels[i]}</text>`;
  });
  const yt = axisTicks({ lo: 0, hi: ny - 1, log: false }, R > 70 ? 4 : 2);
  yt.major.forEach((v, i) => {
    const py = y0 + h - (v + 0.5) * ch;
    out += `<path d="M${x0.toFixed(1)},${py.toFixed(1)}h-3" stroke="#222"/><text x="${(x0 - 5).toFixed(1)}" y="${(py + 3).toFixed(1)}" font-size="${TICK_FONT_SIZE - 1}" text-anchor="end">${yt.labels[i]}</text>`;
  });
  const tx = x0 + w / 2;
  const ty = y0 + h / 2;
  const lx = x0 - 8 - Math.max(...yt.labels.map((l) => textWidth(l, TICK_FONT_SIZE - 1))) - 4;
  out += `<text x="${tx.toFixed(1)}" y="${(y0 + h + 26).toFixed(1)}" font-size="${TICK_FONT_SIZE}" text-anchor="middle">x [cell]</text>`;
  out += `<text x="${lx.toFixed(1)}" y="${ty.toFixed(1)}" font-size="${TICK_FONT_SIZE}" text-anchor="middle" transform="rotate(-90 ${lx.toFixed(1)} ${ty.toFixed(1)})">y [cell]</text>`;
  return out;
}

/** Number of layers and voxels per layer of a geometry, with a short description of each layer's binning. */
export function layerInfo(g: Geometry): { id: number; voxels: number; binning: string }[] {
  if (g.kind === 'cylindrical') return g.layers.map((l) => ({ id: l.id, voxels: l.voxels, binning: `${l.nR} r × ${l.nAlpha} α bins, r ≤ ${l.rEdges[l.rEdges.length - 1]} mm` }));
  const [nz, nx, ny] = g.shape;
  return Array.from({ length: nz }, (_, z) => ({ id: z, voxels: nx * ny, binning: `${nx} × ${ny} cells` }));
}

/** Which layers get an average image: all, or every k-th when the images would hold more than `maxVoxels` cells per sample. */
export function imageLayers(g: Geometry, maxVoxels = 20_000): { layers: number[]; every: number } {
  const info = layerInfo(g);
  const every = Math.max(1, Math.ceil(g.voxels / maxVoxels));
  const layers = info.map((_, i) => i).filter((i) => i % every === 0 || i === info.length - 1);
  return { layers, every };
}

/** Mean energy per voxel of one layer, reference and generated side by side, one log colour scale and its bar. */
export function layerImageSvg(g: Geometry, layerIndex: number, reference: ArrayLike<number>, generated: ArrayLike<number>, labels: [string, string]): string {
  const info = layerInfo(g)[layerIndex];
  const slice = (a: ArrayLike<number>): number[] => {
    const start = g.kind === 'cylindrical' ? g.layers[layerIndex].offset : layerIndex * info.voxels;
    return Array.from({ length: info.voxels }, (_, i) => a[start + i]);
  };
  const s = colourScale([slice(reference), slice(generated)]);
  const R = 92;
  const gap = 48;
  const left = 50;
  const cy = 50 + R;
  const title = `layer ${info.id}: mean energy per voxel (${info.binning})`;
  const bar = colourBarSvg(s, left + 4 * R + gap + 22, cy - R, 2 * R, 'MeV per voxel and shower');
  const width = Math.ceil(Math.max(left + 4 * R + gap + 22 + bar.width + 8, textWidth(title, 12) + 20));
  let out = svgOpen(width, cy + R + 38, title) + `<text x="${width / 2}" y="16" font-size="12" font-weight="bold" text-anchor="middle">${esc(title)}</text>`;
  [reference, generated].forEach((values, k) => {
    const cx = left + R + k * (2 * R + gap);
    out += `<text x="${cx}" y="38" font-size="11" text-anchor="middle">${esc(truncate(labels[k], 34))}</text>`;
    out += layerPanel(g, layerIndex, values, s, cx, cy, R);
  });
  return `${out}${bar.svg}</svg>`;
}

/** Layers shown for single showers: the `max` layers with the most mean reference energy, in layer order. */
export function showerLayers(g: Geometry, meanReference: ArrayLike<number>, max = 6): number[] {
  const info = layerInfo(g);
  let offset = 0;
  const energy = info.map((l) => {
    let e = 0;
    for (let i = 0; i < l.voxels; i++) e += meanReference[offset + i];
    offset += l.voxels;
    return e;
  });
  return info
    .map((_, i) => i)
    .sort((a, b) => energy[b] - energy[a])
    .slice(0, max)
    .sort((a, b) => a - b);
}

/** One single shower: the chosen layers side by side on one log colour scale with its bar. */
export function showerSvg(g: Geometry, shower: SampledShower, label: string, layers: number[]): string {
  const info = layerInfo(g);
  let edep = 0;
  for (const v of shower.values) edep += v;
  const title = `${label}: shower #${shower.index}, E_inc = ${formatEnergy(shower.energy)}, E_dep = ${formatEnergy(edep)}`;
  const s = colourScale([shower.values]);
  const R = 56;
  const gap = 40;
  const left = 44;
  const cy = 40 + R;
  const bx = left + layers.length * (2 * R + gap) - gap + 22;
  const bar = colourBarSvg(s, bx, cy - R, 2 * R, 'MeV per voxel');
  const width = Math.ceil(Math.max(bx + bar.width + 8, textWidth(title, 12) + 20));
  let out = svgOpen(width, cy + R + 38, title) + `<text x="${width / 2}" y="16" font-size="12" font-weight="bold" text-anchor="middle">${esc(title)}</text>`;
  layers.forEach((li, k) => {
    const cx = left + R + k * (2 * R + gap);
    out += `<text x="${cx}" y="${cy - R - 6}" font-size="10" text-anchor="middle">layer ${info[li].id}</text>`;
    out += layerPanel(g, li, shower.values, s, cx, cy, R);
  });
  return `${out}${bar.svg}</svg>`;
}
