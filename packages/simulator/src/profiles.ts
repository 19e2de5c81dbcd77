/**
 * Shower-shape parametrisations.
 *
 * Longitudinal (EM): dE/dt ∝ t^(α−1) e^(−βt) (Longo & Sestili, NIM 128 (1975) 283; PDG "Passage of
 * particles through matter", eq. 34.36) with T = (α−1)/β the shower maximum in X0. Its mean follows
 * the PDG rule T = ln(E/E_c) + C, C = −0.5 (e±) / +0.5 (γ). Event by event, (ln T, ln α) is a
 * correlated bivariate normal with the widths and correlation of Grindhammer & Peters (GFLASH,
 * NIM A290 (1990) 469; hep-ex/0001020 eqs. 8–12): σ(ln T) = 1/(−1.4 + 1.26 ln y),
 * ⟨ln α⟩ = ln(0.81 + (0.458 + 2.26/Z) ln y), σ(ln α) = 1/(−0.58 + 0.86 ln y),
 * ρ = 0.705 − 0.023 ln y, with y = E/E_c.
 *
 * Radial (EM, GFLASH): f(r) = p·2rR_C²/(r²+R_C²)² + (1−p)·2rR_T²/(r²+R_T²)², R in units of R_M,
 * τ = t/T: R_C = z1 + z2 τ, z1 = 0.0251 + 0.00319 ln E, z2 = 0.1162 − 0.000381 Z;
 * R_T = k1 (e^{k3(τ−k2)} + e^{k4(τ−k2)}), k1 = 0.659 − 0.00309 Z, k2 = 0.645, k3 = −2.59,
 * k4 = 0.3585 + 0.0412 ln E; p = p1 exp((p2−τ)/p3 − e^{(p2−τ)/p3}), p1 = 2.632 − 0.00094 Z,
 * p2 = 0.401 + 0.00187 Z, p3 = 1.313 − 0.0686 ln E (E in GeV).
 */
import type { Rng } from '@calozoo/core';
import type { HadronicParams } from './detector.js';

/** A gamma-distribution profile in depth: shape α, rate β, maximum T = (α−1)/β (same unit as 1/β). */
export interface GammaProfile {
  alpha: number;
  beta: number;
  tmax: number;
}

/** PDG shower-maximum offset C in T = ln(E/E_c) + C: −0.5 for electrons, +0.5 for photons. */
export const TMAX_OFFSET = { electron: -0.5, photon: 0.5 } as const;

const MAX_LOG_SIGMA = 0.5;

/**
 * Draws an EM longitudinal profile (or its mean when rng is null) for energy E and critical energy E_c.
 * @param energyMeV shower energy, MeV
 * @param ecMeV critical energy, MeV
 * @param z effective atomic number
 * @param offset C of T = ln(E/E_c) + C
 */
export function emProfile(energyMeV: number, ecMeV: number, z: number, offset: number, rng: Rng | null): GammaProfile {
  const lny = Math.max(Math.log(energyMeV / ecMeV), 1.2);
  const meanLogT = Math.log(Math.max(lny + offset, 0.5));
  const meanLogA = Math.log(0.81 + (0.458 + 2.26 / z) * lny);
  let logT = meanLogT;
  let logA = meanLogA;
  if (rng) {
    const sT = Math.min(MAX_LOG_SIGMA, 1 / Math.max(-1.4 + 1.26 * lny, 1e-3));
    const sA = Math.min(MAX_LOG_SIGMA, 1 / Math.max(-0.58 + 0.86 * lny, 1e-3));
    const rho = Math.min(0.95, Math.max(0, 0.705 - 0.023 * lny));
    const z1 = rng.normal();
    const z2 = rng.normal();
    logT += sT * z1;
    logA += sA * (rho * z1 + Math.sqrt(1 - rho * rho) * z2);
  }
  const tmax = Math.exp(logT);
  const alpha = Math.max(Math.exp(logA), 1.1);
  return { alpha, beta: (alpha - 1) / tmax, tmax };
}

/**
 * Draws the hadronic longitudinal profile (in λ_int, measured from the first interaction):
 * T_h = a + b ln(E/GeV) and a tail slope β = 1/λ_att with λ_att = (E/GeV)^x
 * (Fabjan & Gianotti, Rev. Mod. Phys. 75 (2003) 1243, §IV.B), both log-normally smeared.
 */
export function hadronicProfile(energyMeV: number, h: HadronicParams, rng: Rng | null): GammaProfile {
  const eGeV = Math.max(energyMeV / 1000, 0.1);
  let tmax = Math.max(h.tmaxA + h.tmaxB * Math.log(eGeV), 0.2);
  let beta = Math.pow(eGeV, -h.attExponent);
  if (rng) {
    tmax *= Math.exp(h.shapeSigma * rng.normal());
    beta *= Math.exp(h.shapeSigma * rng.normal());
  }
  return { alpha: 1 + beta * tmax, beta, tmax };
}

/** Mean EM fraction of a pion shower, Groom's f_em = 1 − (E/E0)^(k−1), clamped to [0.02, 0.95]. */
export function meanEmFraction(energyMeV: number, h: HadronicParams): number {
  const f = 1 - Math.pow(Math.max(energyMeV / 1000 / h.fEmE0GeV, 1e-3), h.fEmK - 1);
  return Math.min(0.95, Math.max(0.02, f));
}

/** Draws f_em from a beta distribution with the Groom mean and the configured spread. */
export function drawEmFraction(energyMeV: number, h: HadronicParams, rng: Rng): number {
  const m = meanEmFraction(energyMeV, h);
  const kappa = (m * (1 - m)) / (h.fEmSigma * h.fEmSigma) - 1;
  if (kappa <= 1) return Math.min(1, Math.max(0, m + h.fEmSigma * rng.normal()));
  return rng.beta(m * kappa, (1 - m) * kappa);
}

/** Two-component radial profile: core radius, tail radius (mm) and core weight p. */
export interface RadialShape {
  rc: number;
  rt: number;
  p: number;
}

const RT_MAX_RM = 5;

/**
 * GFLASH EM radial parameters at relative depth τ = t/T, in mm.
 * @param eGeV shower energy, GeV
 * @param z effective atomic number
 * @param rmMm Molière radius, mm
 */
export function emRadial(tau: number, eGeV: number, z: number, rmMm: number, out: RadialShape): RadialShape {
  const lnE = Math.max(Math.log(eGeV), -3);
  const t = Math.max(tau, 0);
  const rc = 0.0251 + 0.00319 * lnE + (0.1162 - 0.000381 * z) * t;
  const k1 = 0.659 - 0.00309 * z;
  const k4 = 0.3585 + 0.0412 * lnE;
  const rt = Math.min(RT_MAX_RM, k1 * (Math.exp(-2.59 * (t - 0.645)) + Math.exp(k4 * (t - 0.645))));
  const u = (0.401 + 0.00187 * z - t) / (1.313 - 0.0686 * lnE);
  const p = (2.632 - 0.00094 * z) * Math.exp(u - Math.exp(u));
  out.rc = Math.max(rc, 0.01) * rmMm;
  out.rt = Math.max(rt, out.rc / rmMm + 0.01) * rmMm;
  out.p = Math.min(1, Math.max(0, p));
  return out;
}

/** Hadronic radial parameters at relative depth τ (after the first interaction), in mm. */
export function hadronicRadial(tau: number, lambdaMm: number, h: HadronicParams, out: RadialShape): RadialShape {
  const t = Math.max(tau, 0);
  out.rc = h.coreLambda * lambdaMm * (1 + 0.5 * t);
  out.rt = h.haloLambda * lambdaMm * (1 + 0.3 * t);
  out.p = h.coreFraction;
  return out;
}
