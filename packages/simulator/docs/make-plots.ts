/**
 * Writes docs/profiles.svg: mean longitudinal profiles (dataset 2) at four energies, the mean
 * radial energy density (dataset 3, whole shower) and the ILD ECAL cell-energy spectrum with its
 * MIP peak. Run: npx vite-node -c vitest.config.ts docs/make-plots.ts
 */
import { writeFileSync } from 'node:fs';
import { getGeometry } from '@calozoo/core';
import { simulateShowers } from '../src/index.js';

type Series = { label: string; colour: string; x: number[]; y: number[] };
const COLOURS = ['#1b9e77', '#d95f02', '#7570b3', '#e7298a'];
const W = 300;
const H = 230;
const M = { l: 48, r: 10, t: 24, b: 38 };

function panel(ox: number, title: string, xl: string, yl: string, series: Series[], logX: boolean, logY: boolean): string {
  const fx = (v: number): number => (logX ? Math.log10(v) : v);
  const fy = (v: number): number => (logY ? Math.log10(v) : v);
  const pts = series.flatMap((s) => s.x.map((x, i) => [fx(x), fy(s.y[i])] as const)).filter(([, y]) => Number.isFinite(y));
  const [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  const [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1])) * (logY ? 1 : 1.05)];
  const px = (x: number): number => ox + M.l + ((fx(x) - x0) / (x1 - x0)) * (W - M.l - M.r);
  const py = (y: number): number => M.t + (1 - (fy(y) - y0) / (y1 - y0)) * (H - M.t - M.b);
  const tick = (v: number, log: boolean): string => (log ? (10 ** v).toExponential(0) : Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(2));
  let out = `<rect x="${ox + M.l}" y="${M.t}" width="${W - M.l - M.r}" height="${H - M.t - M.b}" fill="none" stroke="#888"/>`;
  out += `<text x="${ox + W / 2}" y="15" text-anchor="middle" font-weight="bold">${title}</text>`;
  out += `<text x="${ox + M.l + (W - M.l - M.r) / 2}" y="${H - 6}" text-anchor="middle">${xl}</text>`;
  out += `<text transform="translate(${ox + 11},${M.t + (H - M.t - M.b) / 2}) rotate(-90)" text-anchor="middle">${yl}</text>`;
  for (let k = 0; k <= 4; k++) {
    const xv = x0 + ((x1 - x0) * k) / 4;
    const yv = y0 + ((y1 - y0) * k) / 4;
    const X = ox + M.l + (k / 4) * (W - M.l - M.r);
    const Y = M.t + (1 - k / 4) * (H - M.t - M.b);
    out += `<text x="${X}" y="${H - M.b + 12}" text-anchor="middle" font-size="9">${tick(xv, logX)}</text>`;
    out += `<text x="${ox + M.l - 3}" y="${Y + 3}" text-anchor="end" font-size="9">${tick(yv, logY)}</text>`;
  }
  series.forEach((s, k) => {
    const d = s.x
      .map((x, i) => [x, s.y[i]] as const)
      .filter(([, y]) => y > 0 || !logY)
      .map(([x, y], i) => `${i ? 'L' : 'M'}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join('');
    out += `<path d="${d}" fill="none" stroke="${s.colour}" stroke-width="1.5"/>`;
    out += `<text x="${ox + W - M.r - 4}" y="${M.t + 12 + 11 * k}" text-anchor="end" font-size="9" fill="${s.colour}">${s.label}</text>`;
  });
  return out;
}

const n = 200;
// 1. longitudinal profile, dataset 2
const ds2 = getGeometry('ds2');
const longi: Series[] = [1, 10, 100, 1000].map((gev, k) => {
  const s = simulateShowers(ds2, { n, seed: 10 + k, energies: new Float32Array(n).fill(gev * 1000) });
  const y = new Array(45).fill(0);
  for (let i = 0; i < n; i++) for (let v = 0; v < 6480; v++) y[Math.floor(v / 144)] += s.values[i * 6480 + v] / s.energy[i] / n;
  return { label: `${gev} GeV`, colour: COLOURS[k], x: y.map((_, l) => l), y };
});
// 2. radial energy density, dataset 3 (all layers), per mm²
const ds3 = getGeometry('ds3');
if (ds3.kind !== 'cylindrical') throw new Error('ds3 is cylindrical');
const edges = ds3.layers[0].rEdges;
const radial: Series[] = [10, 100].map((gev, k) => {
  const m = 40;
  const s = simulateShowers(ds3, { n: m, seed: 20 + k, energies: new Float32Array(m).fill(gev * 1000) });
  const y = new Array(18).fill(0);
  for (let i = 0; i < m; i++) for (let v = 0; v < 40500; v++) y[v % 18] += s.values[i * 40500 + v] / s.energy[i] / m;
  const dens = y.map((e, r) => e / (Math.PI * (edges[r + 1] ** 2 - edges[r] ** 2)));
  return { label: `${gev} GeV`, colour: COLOURS[k + 1], x: y.map((_, r) => (edges[r] + edges[r + 1]) / 2), y: dens };
});
// 3. ILD ECAL cell spectrum (log bins), 10–100 GeV photons
const ild = simulateShowers('ild-ecal', { n: 60, seed: 30 });
const nb = 40;
const lo = Math.log10(0.01);
const hi = Math.log10(30);
const h = new Array(nb).fill(0);
for (const v of ild.values) if (v > 0) {
  const b = Math.floor(((Math.log10(v) - lo) / (hi - lo)) * nb);
  if (b >= 0 && b < nb) h[b]++;
}
const centres = h.map((_, b) => 10 ** (lo + ((b + 0.5) * (hi - lo)) / nb));
const spectrum: Series[] = [{ label: 'ILD ECAL cells', colour: COLOURS[2], x: centres, y: h.map((c) => c / 60) }];

const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${3 * W}" height="${H}" font-family="sans-serif" font-size="10">
<rect width="100%" height="100%" fill="white"/>
${panel(0, 'Longitudinal (DS2, e⁻)', 'layer (0.8 X0 each)', 'mean E_layer / E_inc', longi, false, false)}
${panel(W, 'Radial (DS3, all layers)', 'r [mm]', 'mean dE/dA / E_inc [mm⁻²]', radial, false, true)}
${panel(2 * W, 'Cell spectrum (ILD ECAL, γ)', 'cell energy [MeV] (MIP ≈ 0.2)', 'cells per shower per bin', spectrum, true, true)}
</svg>
`;
writeFileSync(new URL('./profiles.svg', import.meta.url), svg);
process.stdout.write(`wrote docs/profiles.svg (${(svg.length / 1024).toFixed(1)} KiB)\n`);
