/**
 * Projection onto regular (z, x, y) grids. The transverse density of one radial component,
 * ρ(r) = R²/(π(r²+R²)²), has the closed-form rectangle integral
 *   G(x, y) = [x/a·atan(y/a) + y/b·atan(x/b)]/(2π),  a = √(1+x²), b = √(1+y²)
 * (x, y in units of R; G(∞, ∞) = 1/4 is one quadrant), so cells within WINDOW cells of the axis get their exact
 * integral from four corners; farther cells, where ρ is smooth on the cell scale, use the
 * midpoint rule. The axis crosses the layer plane at the grid centre plus the event offset, and
 * for a tilted shower (angle θ from the layer normal, in the y–z plane) moves along y by
 * (depth − pivot)·tan θ while the profile is stretched by 1/cos θ along y.
 */
import type { GridGeometry, Rng } from '@calozoo/core';
import type { EngineContext } from './engine.js';
import { depositCell } from './spots.js';

/** Half-width (in cells) of the window around the axis where cells are integrated exactly. */
const WINDOW = 4;

const INV_2PI = 1 / (2 * Math.PI);
const INV_PI = 1 / Math.PI;

/** Rectangle-corner integral of the unit-radius density ρ(r) = 1/(π(1+r²)²) over [0,x]×[0,y]. */
export function cornerIntegral(x: number, y: number): number {
  const a = Math.sqrt(1 + x * x);
  const b = Math.sqrt(1 + y * y);
  return ((x / a) * Math.atan(y / a) + (y / b) * Math.atan(x / b)) * INV_2PI;
}

/** Returns a function that projects the current slice state onto a grid geometry. */
export function gridProjector(g: GridGeometry, ctx: EngineContext): (rng: Rng, out: Float32Array, offset: number) => void {
  const [nz, nx, ny] = g.shape;
  const [, wx, wy] = g.cellSizeMm;
  const t = ctx.slices;
  const subsByLayer: number[][] = Array.from({ length: nz }, () => []);
  for (let k = 0; k < t.k; k++) if (t.layer[k] >= 0 && t.layer[k] < nz) subsByLayer[t.layer[k]].push(k);
  const layerMidMm = subsByLayer.map((s) => (s.length ? 0.5 * (t.mm[s[0]] + t.mm[s[s.length - 1] + 1]) : 0));
  const layerMidX0 = subsByLayer.map((s) => (s.length ? 0.5 * (t.x0[s[0]] + t.x0[s[s.length - 1] + 1]) : 0));
  const per = nx * ny;
  const muE = new Float64Array(per);
  const muH = new Float64Array(per);
  const xe = new Float64Array(nx + 1);
  const ye = new Float64Array(ny + 1);
  const xm2 = new Float64Array(nx);
  const ym2 = new Float64Array(ny);
  const corners = new Float64Array((2 * WINDOW + 2) * (2 * WINDOW + 2));
  const s = ctx.state;
  const { em, had } = ctx.spots;
  const threshold = ctx.detector.thresholdMeV;
  const pivot = ctx.detector.pivotMm;

  /** Adds energy e with radial radius R (mm) to `mu`, around the axis cell (ix0, iy0). */
  const addComponent = (mu: Float64Array, e: number, R: number, ix0: number, iy0: number, area: number): void => {
    if (!(e > 0)) return;
    const inv = 1 / R;
    const R2 = R * R;
    const x0 = Math.max(0, ix0 - WINDOW);
    const x1 = Math.min(nx, ix0 + WINDOW + 1);
    const y0 = Math.max(0, iy0 - WINDOW);
    const y1 = Math.min(ny, iy0 + WINDOW + 1);
    const cw = y1 - y0 + 1;
    for (let i = x0; i <= x1; i++) for (let j = y0; j <= y1; j++) corners[(i - x0) * cw + (j - y0)] = cornerIntegral(xe[i] * inv, ye[j] * inv);
    const norm = (e * R2 * INV_PI) * area;
    for (let i = 0; i < nx; i++) {
      const inWinX = i >= x0 && i < x1;
      const row = i * ny;
      for (let j = 0; j < ny; j++) {
        if (inWinX && j >= y0 && j < y1) {
          const a = (i - x0) * cw + (j - y0);
          mu[row + j] += e * (corners[a + cw + 1] - corners[a + cw] - corners[a + 1] + corners[a]);
        } else {
          const d = xm2[i] + ym2[j] + R2;
          mu[row + j] += norm / (d * d);
        }
      }
    }
  };

  return (rng: Rng, out: Float32Array, base: number) => {
    const cos = s.cosTheta;
    const area = wx * wy * cos;
    for (let z = 0; z < nz; z++) {
      const subs = subsByLayer[z];
      const dst = base + z * per;
      if (!subs.length) {
        out.fill(0, dst, dst + per);
        continue;
      }
      const cx = s.offset[0] + s.offset[2] * layerMidX0[z];
      const cy = s.offset[1] + s.offset[3] * layerMidX0[z] + (layerMidMm[z] - pivot) * s.tanTheta;
      for (let i = 0; i <= nx; i++) xe[i] = (i - nx / 2) * wx - cx;
      for (let j = 0; j <= ny; j++) ye[j] = ((j - ny / 2) * wy - cy) * cos;
      for (let i = 0; i < nx; i++) xm2[i] = (0.5 * (xe[i] + xe[i + 1])) ** 2;
      for (let j = 0; j < ny; j++) ym2[j] = (0.5 * (ye[j] + ye[j + 1])) ** 2;
      const ix0 = Math.floor(cx / wx + nx / 2);
      const iy0 = Math.floor(cy / wy + ny / 2);
      muE.fill(0);
      muH.fill(0);
      let track = 0;
      for (const k of subs) {
        addComponent(muE, s.eEm[k] * s.pEm[k], s.rcEm[k], ix0, iy0, area);
        addComponent(muE, s.eEm[k] * (1 - s.pEm[k]), s.rtEm[k], ix0, iy0, area);
        addComponent(muH, s.eHad[k] * s.pHad[k], s.rcHad[k], ix0, iy0, area);
        addComponent(muH, s.eHad[k] * (1 - s.pHad[k]), s.rtHad[k], ix0, iy0, area);
        track += s.track[k];
      }
      for (let v = 0; v < per; v++) depositCell(out, dst + v, muE[v], muH[v], em, had, rng);
      if (track > 0 && ix0 >= 0 && ix0 < nx && iy0 >= 0 && iy0 < ny) out[dst + ix0 * ny + iy0] += track;
      for (let v = dst; v < dst + per; v++) if (out[v] < threshold) out[v] = 0;
    }
  };
}
