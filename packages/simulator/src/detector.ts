/**
 * The detector model behind a geometry: the material slabs a shower crosses, in depth order, and
 * the response constants of the calorimeter. Slabs carry their own radiation length X0,
 * interaction length λ_int and Molière radius R_M, so that EM profiles (in X0), hadronic profiles
 * (in λ_int) and radial profiles (in R_M) are all expressed in the right unit wherever the
 * shower is. The values per geometry live in `detectors.ts`, with their sources.
 */

/** One slab of material along the shower axis. */
export interface Slab {
  /** Physical thickness along the axis at normal incidence, mm. */
  readonly thicknessMm: number;
  /** Thickness in radiation lengths X0. */
  readonly x0: number;
  /** Thickness in nuclear interaction lengths λ_int. */
  readonly lambda: number;
  /** Effective Molière radius of the slab's material, mm. */
  readonly rmMm: number;
  /** Index of the geometry layer this slab is read out into, or -1 (dead material: energy lost). */
  readonly layer: number;
  /** Visible fraction of the deposited energy (1 for data calibrated to total energy, f_s for raw hits). */
  readonly visible: number;
  /** Visible energy a minimum-ionising track deposits crossing the whole slab, MeV. */
  readonly mipCrossMeV: number;
  /** Number of equal sub-slices used to follow the radial evolution inside a thick slab. */
  readonly sub: number;
}

/** Hadronic-shower constants (pions). */
export interface HadronicParams {
  /** Groom's EM-fraction scale E0 in f_em = 1 − (E/E0)^(k−1), GeV. */
  readonly fEmE0GeV: number;
  /** Groom's exponent k (0.80–0.85 for pions). */
  readonly fEmK: number;
  /** Event-by-event standard deviation of f_em. */
  readonly fEmSigma: number;
  /** Energy fraction of the EM part that sets the shape of the π⁰ sub-showers (they share f_em·E). */
  readonly emShapeFraction: number;
  /** Hadronic shower maximum after the first interaction: t_max = a + b·ln(E/GeV), λ_int. */
  readonly tmaxA: number;
  /** Slope b of the hadronic t_max, λ_int per ln GeV. */
  readonly tmaxB: number;
  /** Exponent of the attenuation length λ_att = (E/GeV)^x λ_int of the hadronic tail. */
  readonly attExponent: number;
  /** Log-normal spread of the hadronic t_max and of the tail slope (event by event). */
  readonly shapeSigma: number;
  /** Radial core radius of the hadronic part, in λ_int, at its start (grows as (1 + 0.5 τ)). */
  readonly coreLambda: number;
  /** Radial halo radius of the hadronic part, in λ_int, at its start (grows as (1 + 0.3 τ)). */
  readonly haloLambda: number;
  /** Energy fraction of the hadronic core component. */
  readonly coreFraction: number;
}

/** Everything the simulator needs to know about one calorimeter. */
export interface DetectorModel {
  /** Short description with the source of the numbers. */
  readonly name: string;
  /** Slabs in depth order; their `layer` indices point into the geometry's layers. */
  readonly slabs: readonly Slab[];
  /** Critical energy E_c of the EM section, MeV. */
  readonly criticalEnergyMeV: number;
  /** Effective atomic number of the EM section (enters GFLASH α and radial parameters). */
  readonly zEff: number;
  /** Stochastic term a of the EM resolution σ/E = a/√(E/GeV). */
  readonly samplingTerm: number;
  /** Constant term of the resolution (event-level multiplicative Gaussian). */
  readonly constantTerm: number;
  /** Stochastic term of the hadronic (non-EM) part alone. */
  readonly hadSamplingTerm: number;
  /** Ratio e/h of EM to hadronic response (> 1: non-compensating). */
  readonly eOverH: number;
  /** Most probable visible energy of one MIP-like spot in a cell, MeV. */
  readonly mipMpvMeV: number;
  /** Landau (Moyal) width of a MIP spot, MeV. */
  readonly mipWidthMeV: number;
  /** Readout threshold: cells below it are zeroed, MeV. */
  readonly thresholdMeV: number;
  /** Gaussian electronic noise added to every cell before the threshold, MeV (default 0: none). */
  readonly noiseMeV?: number;
  /**
   * Power p of a generalised-gamma EM longitudinal profile: the GFLASH gamma CDF is taken at
   * t_max·(t/t_max)^p (default 1: the gamma family itself; p < 1 starts earlier and ends later).
   */
  readonly emProfilePower?: number;
  /** Event-by-event spread of the shower-centre offset at the front face, mm (per transverse axis). */
  readonly offsetMm: number;
  /** Event-by-event spread of the axis slope (centre drift with depth), mm per X0. */
  readonly offsetSlopeMmPerX0: number;
  /** Multiplier of both offset spreads for pions (hadronic showers wander more). */
  readonly pionOffsetScale: number;
  /** Log-normal spread of the event-level radial scale (R_C and R_T together). */
  readonly radialScaleSigma: number;
  /** Depth (mm) where the tilted axis crosses the grid centre (angular grids). */
  readonly pivotMm: number;
  /** Hadronic constants. */
  readonly hadronic: HadronicParams;
}

/** Depth-ordered boundaries of a detector, cumulative, in mm, X0 and λ_int (length slabs + 1). */
export interface SlabBoundaries {
  readonly mm: Float64Array;
  readonly x0: Float64Array;
  readonly lambda: Float64Array;
}

/** Cumulative slab boundaries of a detector model. */
export function slabBoundaries(d: DetectorModel): SlabBoundaries {
  const n = d.slabs.length;
  const mm = new Float64Array(n + 1);
  const x0 = new Float64Array(n + 1);
  const lambda = new Float64Array(n + 1);
  d.slabs.forEach((s, i) => {
    mm[i + 1] = mm[i] + s.thicknessMm;
    x0[i + 1] = x0[i] + s.x0;
    lambda[i + 1] = lambda[i] + s.lambda;
  });
  return { mm, x0, lambda };
}
