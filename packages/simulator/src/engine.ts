/**
 * The per-shower engine: draws the event-level quantities of one shower (shape parameters,
 * first-interaction depth, EM fraction, centre offset, radial scale), turns them into expected
 * visible energies per depth sub-slice and radial component, projects those analytically onto
 * the geometry's voxels (`project-cylindrical.ts`, `project-grid.ts`) and fluctuates each voxel
 * with the compound-Poisson spot model (`spots.ts`).
 */
import type { Geometry, Rng } from '@calozoo/core';
import type { DetectorModel } from './detector.js';
import { slabBoundaries } from './detector.js';
import { TMAX_OFFSET, drawEmFraction, emProfile, emRadial, hadronicProfile, hadronicRadial, type GammaProfile, type RadialShape } from './profiles.js';
import { gammaP, logGamma } from './special.js';
import { spotModel, type SpotModel } from './spots.js';

/** Particle species the simulator knows. */
export type Particle = 'photon' | 'electron' | 'pion';

/** Depth sub-slices of a detector (normal incidence) and the per-shower scratch arrays. */
export interface SliceTable {
  /** Number of sub-slices. */
  readonly k: number;
  /** Geometry layer index of each sub-slice (-1: dead material). */
  readonly layer: Int32Array;
  /** Sub-slice edges in X0, λ_int and mm (length k + 1). */
  readonly x0: Float64Array;
  readonly lambda: Float64Array;
  readonly mm: Float64Array;
  /** Visible fraction, Molière radius (mm), interaction length (mm) and MIP crossing energy (MeV). */
  readonly visible: Float64Array;
  readonly rm: Float64Array;
  readonly lambdaMm: Float64Array;
  readonly mip: Float64Array;
}

/** Per-shower results of the longitudinal/radial stage, read by the projections. */
export interface SliceState {
  /** Expected visible EM / hadronic energy per sub-slice, MeV. */
  readonly eEm: Float64Array;
  readonly eHad: Float64Array;
  /** Radial shapes per sub-slice (mm): EM core/tail/weight and hadronic core/halo/weight. */
  readonly rcEm: Float64Array;
  readonly rtEm: Float64Array;
  readonly pEm: Float64Array;
  readonly rcHad: Float64Array;
  readonly rtHad: Float64Array;
  readonly pHad: Float64Array;
  /** Visible MIP-track energy per sub-slice (pions before their first interaction), MeV. */
  readonly track: Float64Array;
  /** Centre offset at the front (x, y) and its drift per X0 (x, y), mm. */
  readonly offset: Float64Array;
  /** Scratch: gamma CDF at the sub-slice edges (EM, hadronic). */
  readonly pE: Float64Array;
  readonly pH: Float64Array;
  /** cos and tan of the tilt angle. */
  cosTheta: number;
  tanTheta: number;
}

/** Builds the sub-slice table of a detector. */
function sliceTable(d: DetectorModel): SliceTable {
  const b = slabBoundaries(d);
  const k = d.slabs.reduce((s, sl) => s + Math.max(1, sl.sub), 0);
  const layer = new Int32Array(k);
  const x0 = new Float64Array(k + 1);
  const lambda = new Float64Array(k + 1);
  const mm = new Float64Array(k + 1);
  const visible = new Float64Array(k);
  const rm = new Float64Array(k);
  const lambdaMm = new Float64Array(k);
  const mip = new Float64Array(k);
  let j = 0;
  d.slabs.forEach((s, i) => {
    const n = Math.max(1, s.sub);
    for (let q = 0; q < n; q++, j++) {
      layer[j] = s.layer;
      x0[j + 1] = b.x0[i] + (s.x0 * (q + 1)) / n;
      lambda[j + 1] = b.lambda[i] + (s.lambda * (q + 1)) / n;
      mm[j + 1] = b.mm[i] + (s.thicknessMm * (q + 1)) / n;
      visible[j] = s.visible;
      rm[j] = s.rmMm;
      lambdaMm[j] = s.lambda > 0 ? s.thicknessMm / s.lambda : 1e9;
      mip[j] = s.mipCrossMeV / n;
    }
  });
  return { k, layer, x0, lambda, mm, visible, rm, lambdaMm, mip };
}

/** Maps a depth in λ_int to X0 by linear interpolation over the sub-slice edges. */
function lambdaToX0(t: SliceTable, l: number): number {
  const L = t.lambda;
  if (l <= 0) return 0;
  for (let i = 0; i < t.k; i++) {
    if (l <= L[i + 1]) {
      const w = L[i + 1] > L[i] ? (l - L[i]) / (L[i + 1] - L[i]) : 1;
      return t.x0[i] + w * (t.x0[i + 1] - t.x0[i]);
    }
  }
  return t.x0[t.k] + (l - L[t.k]) * 10;
}

/** Fills `out` with P(α, β·(edge − start)) at every edge (depth unit of the edges × sec). */
function cdfAtEdges(g: GammaProfile, start: number, edges: Float64Array, sec: number, out: Float64Array, power = 1): void {
  const lga = logGamma(g.alpha);
  for (let i = 0; i < edges.length; i++) {
    let depth = edges[i] * sec - start;
    // A generalised-gamma profile: the gamma CDF at tmax·(t/tmax)^p instead of t (p = 1: GFLASH).
    if (power !== 1 && depth > 0) depth = g.tmax * Math.pow(depth / g.tmax, power);
    const x = g.beta * depth;
    out[i] = x > 0 ? gammaP(g.alpha, x, lga) : 0;
  }
}

/** Spot models of a detector for its EM and hadronic parts. */
function spotModels(d: DetectorModel): { em: SpotModel; had: SpotModel } {
  const vis = Math.max(...d.slabs.filter((s) => s.layer >= 0).map((s) => s.visible), 1e-6);
  const em = spotModel(d.mipMpvMeV, d.mipWidthMeV, d.samplingTerm * d.samplingTerm * 1000 * vis);
  const had = spotModel(d.mipMpvMeV, d.mipWidthMeV, (d.hadSamplingTerm * d.hadSamplingTerm * 1000 * vis) / d.eOverH);
  return { em, had };
}

/** Allocates the per-shower scratch state for k sub-slices. */
function sliceState(k: number): SliceState {
  const f = (): Float64Array => new Float64Array(k);
  return { eEm: f(), eHad: f(), rcEm: f(), rtEm: f(), pEm: f(), rcHad: f(), rtHad: f(), pHad: f(), track: f(), offset: new Float64Array(4), pE: new Float64Array(k + 1), pH: new Float64Array(k + 1), cosTheta: 1, tanTheta: 0 };
}

const r0: RadialShape = { rc: 0, rt: 0, p: 0 };

/**
 * Draws the event-level quantities of one shower and fills `s` with expected visible energies and
 * radial shapes per sub-slice. Returns nothing; all output is in `s`.
 * @param energyMeV incident energy, MeV
 * @param theta tilt of the axis from the layer normal, rad
 */
export function longitudinalStage(d: DetectorModel, t: SliceTable, particle: Particle, energyMeV: number, theta: number, rng: Rng, s: SliceState): void {
  const cos = Math.cos(theta);
  const sec = 1 / cos;
  s.cosTheta = cos;
  s.tanTheta = Math.tan(theta);
  const k = t.k;
  s.eEm.fill(0);
  s.eHad.fill(0);
  s.track.fill(0);
  const g = Math.max(0, 1 + d.constantTerm * rng.normal());
  const radialScale = Math.exp(d.radialScaleSigma * rng.normal());
  const offScale = particle === 'pion' ? d.pionOffsetScale : 1;
  for (let i = 0; i < 2; i++) s.offset[i] = d.offsetMm * offScale * rng.normal();
  for (let i = 2; i < 4; i++) s.offset[i] = d.offsetSlopeMmPerX0 * offScale * rng.normal();

  let eEm = energyMeV;
  let eHadVis = 0;
  let eHadTrue = 0;
  let tStart = 0;
  let l0 = Infinity;
  let shapeEnergy = energyMeV;
  let offset: number = TMAX_OFFSET[particle === 'electron' ? 'electron' : 'photon'];
  if (particle === 'pion') {
    l0 = rng.exponential();
    const fEm = drawEmFraction(energyMeV, d.hadronic, rng);
    eEm = fEm * energyMeV;
    eHadTrue = (1 - fEm) * energyMeV;
    eHadVis = eHadTrue / d.eOverH;
    shapeEnergy = Math.max(eEm * d.hadronic.emShapeFraction, 1e-3);
    offset = TMAX_OFFSET.photon;
    tStart = lambdaToX0(t, l0) * sec;
    l0 *= sec;
    for (let i = 0; i < k; i++) {
      const la = t.lambda[i] * sec;
      const lb = t.lambda[i + 1] * sec;
      const frac = Math.min(1, Math.max(0, (l0 - la) / (lb - la)));
      if (frac > 0 && t.layer[i] >= 0) s.track[i] = t.mip[i] * sec * frac * Math.max(0.3, 1 + 0.12 * rng.normal());
    }
  }
  const em = emProfile(shapeEnergy, d.criticalEnergyMeV, d.zEff, offset, rng);
  const eGeV = shapeEnergy / 1000;
  const pE = s.pE;
  const interacts = particle !== 'pion' || l0 < t.lambda[k] * sec;
  if (eEm > 0 && interacts) cdfAtEdges(em, tStart, t.x0, sec, pE, d.emProfilePower ?? 1);
  else pE.fill(0);
  for (let i = 0; i < k; i++) {
    const f = pE[i + 1] - pE[i];
    if (f <= 0) continue;
    s.eEm[i] = eEm * f * t.visible[i] * g;
    const tau = (0.5 * (t.x0[i] + t.x0[i + 1]) * sec - tStart) / em.tmax;
    emRadial(tau, eGeV, d.zEff, t.rm[i], r0);
    s.rcEm[i] = r0.rc * radialScale;
    s.rtEm[i] = r0.rt * radialScale;
    s.pEm[i] = r0.p;
  }
  if (eHadTrue > 0 && l0 < t.lambda[k] * sec) {
    const h = hadronicProfile(eHadTrue, d.hadronic, rng);
    const pH = s.pH;
    cdfAtEdges(h, l0, t.lambda, sec, pH);
    for (let i = 0; i < k; i++) {
      const f = pH[i + 1] - pH[i];
      if (f <= 0) continue;
      s.eHad[i] = eHadVis * f * t.visible[i] * g;
      const tau = (0.5 * (t.lambda[i] + t.lambda[i + 1]) * sec - l0) / h.tmax;
      hadronicRadial(tau, t.lambdaMm[i], d.hadronic, r0);
      s.rcHad[i] = r0.rc * radialScale;
      s.rtHad[i] = r0.rt * radialScale;
      s.pHad[i] = r0.p;
    }
  }
}

/** Everything a projection needs besides the geometry. */
export interface EngineContext {
  readonly detector: DetectorModel;
  readonly slices: SliceTable;
  readonly spots: { em: SpotModel; had: SpotModel };
  readonly state: SliceState;
}

/** Creates the reusable context for a geometry/detector pair. */
export function engineContext(_g: Geometry, d: DetectorModel): EngineContext {
  const slices = sliceTable(d);
  return { detector: d, slices, spots: spotModels(d), state: sliceState(slices.k) };
}
