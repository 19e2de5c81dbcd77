/**
 * Projection onto CaloChallenge cylindrical binnings. For every layer the expected energy of a
 * (radial bin, angular bin) voxel is computed analytically from the two-component radial profile,
 * whose CDF is F(r) = p·r²/(r²+R_C²) + (1−p)·r²/(r²+R_T²): a ring gets E·[F(r₂)−F(r₁)], spread
 * evenly over its n_α angular bins. Energy beyond the outer edge is lost (lateral leakage).
 *
 * A shower centre offset d (per event, drifting with depth) is added to first order:
 * ρ(|x−d|) ≈ ρ(r) − ρ′(r)·d·cos(α−φ_d), which integrates over a bin to
 * −[d_x(sin α₂ − sin α₁) − d_y(cos α₂ − cos α₁)]·∫ρ′(r) r dr, with
 * ∫ρ′ r dr = [ρ r − Q]_{r₁}^{r₂}, ρ(r) = R²/(π(r²+R²)²), Q(r) = (r/(r²+R²) + atan(r/R)/R)/(2π).
 * The dipole's relative amplitude is capped at MAX_DIPOLE per ring, so that bins stay non-negative
 * and every ring keeps exactly its energy even when the offset is not small against the core.
 * Bin j covers [−π + 2πj/n_α, −π + 2π(j+1)/n_α), voxel = offset + j·n_R + i
 * (field-reference.md §1.2).
 */
import type { CylindricalGeometry, Rng } from '@calozoo/core';
import type { EngineContext } from './engine.js';
import { depositCell } from './spots.js';

interface LayerPlan {
  readonly offset: number;
  readonly nR: number;
  readonly nA: number;
  readonly edges: Float64Array;
  readonly edges2: Float64Array;
  readonly subs: Int32Array;
  /** sin/cos differences over each angular bin. */
  readonly dSin: Float64Array;
  readonly dCos: Float64Array;
  /** Mid-depth of the layer in X0 (normal incidence). */
  readonly tMid: number;
}

const INV_PI = 1 / Math.PI;
const INV_2PI = 1 / (2 * Math.PI);

/** ∫ρ′(r) r dr antiderivative ρ(r)·r − Q(r) for one component of radius R. */
function dipoleAnti(r: number, r2: number, R: number): number {
  const R2 = R * R;
  const den = r2 + R2;
  return (R2 * r * INV_PI) / (den * den) - INV_2PI * (r / den + Math.atan(r / R) / R);
}

/** Largest fraction of a ring's mean bin energy the dipole term may move (keeps bins non-negative). */
const MAX_DIPOLE = 0.9;

/** Caps a ring's dipole coefficient so that |dj·dip| ≤ MAX_DIPOLE·ring/nA for every angular bin. */
function capDipole(dip: number, ring: number, nA: number, maxDj: number): number {
  const amp = Math.abs(dip) * maxDj * nA;
  const lim = MAX_DIPOLE * ring;
  return amp > lim ? (dip * lim) / amp : dip;
}

/** Returns a function that projects the current slice state onto a cylindrical geometry. */
export function cylindricalProjector(g: CylindricalGeometry, ctx: EngineContext): (rng: Rng, out: Float32Array, offset: number) => void {
  const t = ctx.slices;
  const plans: LayerPlan[] = g.layers.map((l, li) => {
    const subs: number[] = [];
    for (let k = 0; k < t.k; k++) if (t.layer[k] === li) subs.push(k);
    const dSin = new Float64Array(l.nAlpha);
    const dCos = new Float64Array(l.nAlpha);
    for (let j = 0; j < l.nAlpha; j++) {
      const a1 = -Math.PI + (j * 2 * Math.PI) / l.nAlpha;
      const a2 = -Math.PI + ((j + 1) * 2 * Math.PI) / l.nAlpha;
      dSin[j] = Math.sin(a2) - Math.sin(a1);
      dCos[j] = Math.cos(a2) - Math.cos(a1);
    }
    const tMid = subs.length ? 0.5 * (t.x0[subs[0]] + t.x0[subs[subs.length - 1] + 1]) : 0;
    const edges = Float64Array.from(l.rEdges);
    return { offset: l.offset, nR: l.nR, nA: l.nAlpha, edges, edges2: edges.map((e) => e * e), subs: Int32Array.from(subs), dSin, dCos, tMid };
  });
  const maxR = Math.max(1, ...plans.map((p) => p.nR));
  const ringE = new Float64Array(maxR);
  const ringH = new Float64Array(maxR);
  const dipE = new Float64Array(maxR);
  const dipH = new Float64Array(maxR);
  const s = ctx.state;
  const { em, had } = ctx.spots;
  const threshold = ctx.detector.thresholdMeV;

  /** Adds one sub-slice component pair (core + tail) to the ring and dipole accumulators. */
  const accumulate = (p: LayerPlan, e: number, rc: number, rt: number, w: number, ring: Float64Array, dip: Float64Array, withDipole: boolean): void => {
    const rc2 = rc * rc;
    const rt2 = rt * rt;
    let fPrev = 0;
    let dPrev = withDipole ? w * dipoleAnti(0, 0, rc) + (1 - w) * dipoleAnti(0, 0, rt) : 0;
    for (let i = 0; i < p.nR; i++) {
      const r2 = p.edges2[i + 1];
      const f = w * (r2 / (r2 + rc2)) + (1 - w) * (r2 / (r2 + rt2));
      ring[i] += e * (f - fPrev);
      fPrev = f;
      if (withDipole) {
        const r = p.edges[i + 1];
        const d = w * dipoleAnti(r, r2, rc) + (1 - w) * dipoleAnti(r, r2, rt);
        dip[i] += e * (d - dPrev);
        dPrev = d;
      }
    }
  };

  return (rng, out, base) => {
    for (const p of plans) {
      const nR = p.nR;
      ringE.fill(0, 0, nR);
      ringH.fill(0, 0, nR);
      dipE.fill(0, 0, nR);
      dipH.fill(0, 0, nR);
      const dx = s.offset[0] + s.offset[2] * p.tMid;
      const dy = s.offset[1] + s.offset[3] * p.tMid;
      const withDipole = p.nA > 1 && (dx !== 0 || dy !== 0);
      let track = 0;
      for (let q = 0; q < p.subs.length; q++) {
        const k = p.subs[q];
        if (s.eEm[k] > 0) accumulate(p, s.eEm[k], s.rcEm[k], s.rtEm[k], s.pEm[k], ringE, dipE, withDipole);
        if (s.eHad[k] > 0) accumulate(p, s.eHad[k], s.rcHad[k], s.rtHad[k], s.pHad[k], ringH, dipH, withDipole);
        track += s.track[k];
      }
      const invA = 1 / p.nA;
      if (withDipole) {
        // relative dipole amplitude per ring, capped so that every bin stays ≥ 0 and the ring keeps its energy
        const maxDj = Math.sqrt(dx * dx + dy * dy) * 2 * Math.sin(Math.PI / p.nA);
        for (let i = 0; i < nR; i++) {
          dipE[i] = capDipole(dipE[i], ringE[i], p.nA, maxDj);
          dipH[i] = capDipole(dipH[i], ringH[i], p.nA, maxDj);
        }
      }
      for (let j = 0; j < p.nA; j++) {
        const dj = withDipole ? dx * p.dSin[j] - dy * p.dCos[j] : 0;
        const row = base + p.offset + j * nR;
        for (let i = 0; i < nR; i++) {
          const muE = ringE[i] * invA - dj * dipE[i];
          const muH = ringH[i] * invA - dj * dipH[i];
          depositCell(out, row + i, muE > 0 ? muE : 0, muH > 0 ? muH : 0, em, had, rng);
        }
      }
      if (track > 0) {
        // the charged track before the first interaction: one cell, on the (offset) axis
        const r = Math.sqrt(dx * dx + dy * dy);
        let i = 0;
        while (i < nR && r >= p.edges[i + 1]) i++;
        if (i < nR) {
          const alpha = Math.atan2(dy, dx);
          const j = Math.min(p.nA - 1, Math.max(0, Math.floor(((alpha + Math.PI) / (2 * Math.PI)) * p.nA)));
          out[base + p.offset + j * nR + i] += track;
        }
      }
      const end = base + p.offset + p.nA * nR;
      for (let v = base + p.offset; v < end; v++) if (out[v] < threshold) out[v] = 0;
    }
  };
}
