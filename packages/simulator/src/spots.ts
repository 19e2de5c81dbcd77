/**
 * Energy spots: the discrete deposits that make cells sparse and give the cell spectrum its
 * MIP-like peak. A cell with expected visible energy μ receives n ~ Poisson(μ/ε) spots (ε the mean
 * spot energy), each drawn from a mixture of
 *  - soft deposits (stopping electrons, partial crossings): exponential with mean 0.3 MPV, 15 %;
 *  - MIP-like crossings: MPV + ξ·M with M ~ Moyal (= −ln χ²₁, the Moyal approximation of the
 *    Landau distribution; J. E. Moyal, Phil. Mag. 46 (1955) 263), 55 %;
 *  - hard deposits (several particles, showering photons): exponential with mean s, 30 %,
 * where s is solved so that E[e²]/E[e] = a²·1 GeV·f_vis. The compound-Poisson sum then has
 * Var(E_vis) = E_vis·E[e²]/E[e], i.e. σ/E = a/√(E/GeV): the sampling term of the calorimeter
 * (Wigmans, "Calorimetry", 2nd ed., §4.3) comes out of the spot count.
 */
import type { Rng } from '@calozoo/core';

/** Fraction of soft spots. */
const P_SOFT = 0.15;
/** Mean of soft spots in units of the MIP MPV. */
const SOFT_MEAN_MPV = 0.3;
/** Fraction of MIP-like spots. */
const P_MIP = 0.55;
/** Moyal mean E[−ln χ²₁] = γ_E + ln 2. */
const MOYAL_MEAN = 0.5772156649 + Math.LN2;
/** Moyal variance π²/2. */
const MOYAL_VAR = (Math.PI * Math.PI) / 2;
/** Below this many expected spots a cell's spots are drawn one by one (exact compound Poisson). */
const EXACT_SPOTS = 2.5;
/** Above this many expected spots a cell is drawn from the Gaussian limit. */
const GAUSS_SPOTS = 40;

/** A spot-energy distribution and its moments. */
export interface SpotModel {
  /** Probabilities of the soft and MIP components (hard = rest). */
  readonly pSoft: number;
  readonly pMip: number;
  /** Soft mean, MIP MPV, Moyal width, hard mean (MeV). */
  readonly softMean: number;
  readonly mpv: number;
  readonly xi: number;
  readonly hardMean: number;
  /** Mean spot energy ε, MeV. */
  readonly mean: number;
  /** E[e²]/E[e], MeV: the variance of a cell per MeV of expected energy. */
  readonly varPerMeV: number;
}

/**
 * Builds the spot mixture whose E[e²]/E[e] equals `targetVarPerMeV` (MeV), keeping the soft and MIP
 * components fixed; falls back to soft + MIP only if they alone already exceed the target.
 */
export function spotModel(mpv: number, xi: number, targetVarPerMeV: number): SpotModel {
  const softMean = SOFT_MEAN_MPV * mpv;
  const mipMean = mpv + MOYAL_MEAN * xi;
  const a1 = P_SOFT * softMean + P_MIP * mipMean;
  const a2 = P_SOFT * 2 * softMean * softMean + P_MIP * (mipMean * mipMean + MOYAL_VAR * xi * xi);
  const pHard = 1 - P_SOFT - P_MIP;
  const T = targetVarPerMeV;
  // 2 pHard s² − T pHard s + (a2 − T a1) = 0
  const disc = T * T * pHard * pHard - 8 * pHard * (a2 - T * a1);
  const s = disc > 0 ? (T * pHard + Math.sqrt(disc)) / (4 * pHard) : 0;
  if (!(s > mipMean)) {
    const norm = P_SOFT + P_MIP;
    return { pSoft: P_SOFT / norm, pMip: 1, softMean, mpv, xi, hardMean: 0, mean: a1 / norm, varPerMeV: a2 / a1 };
  }
  return { pSoft: P_SOFT, pMip: P_SOFT + P_MIP, softMean, mpv, xi, hardMean: s, mean: a1 + pHard * s, varPerMeV: T };
}

/** Draws one spot energy (MeV). `pMip` is cumulative (soft + MIP). */
export function drawSpot(m: SpotModel, rng: Rng): number {
  const u = rng.uniform();
  if (u < m.pSoft) return -m.softMean * Math.log(rng.uniformOpen());
  if (u < m.pMip) {
    const z = rng.normal();
    const e = m.mpv - m.xi * Math.log(z * z + 1e-300);
    return e > 0 ? e : 0;
  }
  return -m.hardMean * Math.log(rng.uniformOpen());
}

/**
 * Draws the visible energy of a cell with expected EM and hadronic energies muE, muH (MeV): the
 * exact compound Poisson for fewer than EXACT_SPOTS expected spots; above, a gamma distribution
 * with the same mean μ and variance μ·E[e²]/E[e] (a sum of many spots is close to gamma and
 * stays non-negative and right-skewed), and its Gaussian limit above GAUSS_SPOTS.
 */
export function cellEnergy(muE: number, muH: number, em: SpotModel, had: SpotModel, rng: Rng): number {
  depositCell(SCRATCH, 0, muE, muH, em, had, rng);
  return SCRATCH[0];
}

const SCRATCH = new Float32Array(1);

/**
 * `cellEnergy` writing into `out[idx]` instead of returning: a double returned from a call
 * that V8 does not inline is boxed on the heap, and this runs once per voxel.
 */
export function depositCell(out: Float32Array, idx: number, muE: number, muH: number, em: SpotModel, had: SpotModel, rng: Rng): void {
  const lamE = muE / em.mean;
  const lamH = muH / had.mean;
  const lam = lamE + lamH;
  if (!(lam > 0)) {
    out[idx] = 0;
    return;
  }
  if (lam < EXACT_SPOTS) {
    const u = rng.uniform();
    // n = 0 with probability e^{-λ} ≥ 1 − λ: most empty cells cost one uniform and no exp
    if (u < 1 - lam) {
      out[idx] = 0;
      return;
    }
    let p = Math.exp(-lam);
    let cdf = p;
    let n = 0;
    while (u > cdf && n < 50) {
      n++;
      p *= lam / n;
      cdf += p;
    }
    if (n === 0) {
      out[idx] = 0;
      return;
    }
    const qE = lamE / lam;
    let e = 0;
    for (let k = 0; k < n; k++) e += rng.uniform() < qE ? drawSpot(em, rng) : drawSpot(had, rng);
    out[idx] = e;
    return;
  }
  const mu = muE + muH;
  const variance = muE * em.varPerMeV + muH * had.varPerMeV;
  if (lam >= GAUSS_SPOTS) {
    const e = mu + Math.sqrt(variance) * rng.normal();
    out[idx] = e > 0 ? e : 0;
    return;
  }
  const scale = variance / mu;
  out[idx] = rng.gamma(mu / scale, scale);
}
