/**
 * Built-in detector models, one per built-in geometry. Numbers are effective values for the
 * calorimeters the datasets come from; each is justified in the package README ("Detector
 * models"). Material constants: PDG Review of Particle Physics, "Atomic and nuclear properties of
 * materials" (W: X0 3.5 mm, R_M 9.3 mm, λ_int 99 mm, E_c 7.97 MeV; Fe: X0 17.6 mm, R_M 16.9 mm,
 * λ_int 168 mm, E_c 21.7 MeV). Dataset layouts: field-reference.md §1.3–1.4 and §5.
 */
import type { Geometry } from '@calozoo/core';
import type { DetectorModel, HadronicParams, Slab } from './detector.js';

/** Default hadronic constants (Groom f_em; Fabjan & Gianotti, Rev. Mod. Phys. 75 (2003) 1243). */
export const DEFAULT_HADRONIC: HadronicParams = {
  fEmE0GeV: 1,
  fEmK: 0.82,
  fEmSigma: 0.12,
  emShapeFraction: 1 / 3,
  tmaxA: 0.7,
  tmaxB: 0.2,
  attExponent: 0.13,
  shapeSigma: 0.2,
  coreLambda: 0.08,
  haloLambda: 0.3,
  coreFraction: 0.55,
};

type SlabSpec = Omit<Slab, 'layer'> & { layerId: number };

const slab = (layerId: number, thicknessMm: number, x0: number, lambda: number, rmMm: number, mipCrossMeV: number, sub = 1, visible = 1): SlabSpec => ({
  layerId,
  thicknessMm,
  x0,
  lambda,
  rmMm,
  mipCrossMeV,
  sub,
  visible,
});

/**
 * ATLAS barrel at |η| ≈ 0.2 (dataset 1): upstream material + presampler (read out as layer 0, half
 * of the upstream loss recovered by its calibration), accordion LAr/Pb strips, middle, back
 * (≈ 22 X0, 1.2 λ), cryostat (dead), then TileCal 1.5 / 4.1 / 1.8 λ. Ids follow the binning XML.
 */
const DS1_SLABS: SlabSpec[] = [
  slab(0, 40, 2.0, 0.15, 35, 15, 1, 0.5),
  slab(1, 90, 4.3, 0.23, 35, 65, 2),
  slab(2, 330, 16, 0.85, 35, 240, 4),
  slab(3, 45, 2, 0.12, 35, 30, 1),
  slab(-1, 100, 3, 0.4, 35, 0, 1),
  slab(12, 310, 14, 1.5, 30, 300, 2),
  slab(13, 850, 38, 4.1, 30, 850, 2),
  slab(14, 370, 17, 1.8, 30, 370, 1),
];

const BASE = {
  offsetSlopeMmPerX0: 0.05,
  pionOffsetScale: 4,
  radialScaleSigma: 0.08,
  pivotMm: 0,
  hadronic: DEFAULT_HADRONIC,
};

function ds1(): Omit<DetectorModel, 'slabs'> {
  return {
    ...BASE,
    name: 'ATLAS-like barrel: LAr/Pb accordion (X0 ≈ 21 mm, R_M ≈ 35 mm) + TileCal steel/scintillator',
    criticalEnergyMeV: 12,
    zEff: 50,
    samplingTerm: 0.1,
    constantTerm: 0.007,
    hadSamplingTerm: 0.35,
    eOverH: 1.36,
    mipMpvMeV: 3,
    mipWidthMeV: 0.4,
    thresholdMeV: 0.5,
    offsetMm: 1.5,
    offsetSlopeMmPerX0: 0.1,
    pionOffsetScale: 3,
  };
}

/** Par04 W/Si (datasets 2, 3): 45 readout layers of 2 × (1.4 mm W + 0.3 mm Si) = 0.8 X0. */
function par04(): DetectorModel {
  const slabs: Slab[] = Array.from({ length: 45 }, (_, i) => ({ ...slab(i, 3.4, 0.8, 0.0296, 9.3, 6.4), layer: i }));
  return {
    ...BASE,
    name: 'Par04 W/Si sampling calorimeter (X0,eff 4.25 mm, R_M 9.3 mm, E_c 8 MeV), energies ×1/0.033',
    slabs,
    criticalEnergyMeV: 8,
    zEff: 74,
    samplingTerm: 0.17,
    constantTerm: 0.005,
    hadSamplingTerm: 0.45,
    eOverH: 1.6,
    mipMpvMeV: 5.15,
    mipWidthMeV: 0.6,
    thresholdMeV: 0.01515,
    offsetMm: 0.2,
  };
}

/** ILD Si/W ECAL: 20 layers × 2.1 mm W (0.6 X0) + 10 × 4.2 mm W (1.2 X0), 0.5 mm Si, raw visible MeV. */
function ildEcal(layers: number): DetectorModel {
  const slabs: Slab[] = Array.from({ length: layers }, (_, i) =>
    i < 20 ? { ...slab(i, 5.25, 0.6, 0.024, 15, 0.19, 1, 0.026), layer: i } : { ...slab(i, 7.35, 1.2, 0.045, 12, 0.19, 1, 0.0136), layer: i },
  );
  return {
    ...BASE,
    name: 'ILD Si/W ECAL (24 X0; R_M,eff ≈ 15 mm), raw silicon energy (1 MIP ≈ 0.2 MeV)',
    slabs,
    criticalEnergyMeV: 9,
    zEff: 74,
    samplingTerm: 0.166,
    constantTerm: 0.011,
    hadSamplingTerm: 0.5,
    eOverH: 1.6,
    mipMpvMeV: 0.17,
    mipWidthMeV: 0.015,
    thresholdMeV: 0.01,
    offsetMm: 1,
    pivotMm: 60,
  };
}

/** ILD AHCAL: 48 × (17.2 mm steel + 3 mm scintillator), 26.5 mm pitch, raw scintillator MeV. */
function ildHcal(layers: number): DetectorModel {
  const slabs: Slab[] = Array.from({ length: layers }, (_, i) => ({ ...slab(i, 26.5, 1.0, 0.11, 25, 0.59, 1, 0.025), layer: i }));
  return {
    ...BASE,
    name: 'ILD AHCAL steel/scintillator (0.11 λ_int, 1.0 X0 per layer), raw scintillator energy',
    slabs,
    criticalEnergyMeV: 22,
    zEff: 26,
    samplingTerm: 0.22,
    constantTerm: 0.01,
    hadSamplingTerm: 0.45,
    eOverH: 1.19,
    mipMpvMeV: 0.47,
    mipWidthMeV: 0.05,
    thresholdMeV: 0.01,
    offsetMm: 5,
    offsetSlopeMmPerX0: 0.1,
    pionOffsetScale: 1,
  };
}

/** Maps slab layer ids to indices of the geometry's (non-empty) layers; ids not present become dead. */
function bindDs1(g: Geometry): Slab[] {
  const ids = g.kind === 'cylindrical' ? g.layers.map((l) => l.id) : [];
  return DS1_SLABS.map(({ layerId, ...s }) => ({ ...s, layer: layerId < 0 ? -1 : ids.indexOf(layerId) }));
}

/** A W/Si stack of 0.8 X0 per geometry layer, for geometries calozoo has no model of. */
function generic(g: Geometry): DetectorModel {
  if (g.kind === 'grid') {
    const base = ildEcal(g.shape[0]);
    const slabs = base.slabs.map((s) => ({ ...s, thicknessMm: g.cellSizeMm[0], x0: 0.8, lambda: 0.03, visible: 1 }));
    return { ...base, name: `generic W/Si grid, 0.8 X0 per layer (no model for "${g.id}")`, slabs, mipMpvMeV: 5.15, mipWidthMeV: 0.6 };
  }
  const base = par04();
  const slabs = g.layers.map((_, i) => ({ ...base.slabs[0], layer: i }));
  return { ...base, name: `generic W/Si cylinder, 0.8 X0 per layer (no model for "${g.id}")`, slabs };
}

/** Returns the detector model of a geometry (built-in ids get their calorimeter, others a generic W/Si stack). */
export function detectorFor(g: Geometry): DetectorModel {
  switch (g.id) {
    case 'calochallenge-1-photons':
    case 'calochallenge-1-pions':
      return { ...ds1(), slabs: bindDs1(g) };
    case 'calochallenge-2':
    case 'calochallenge-3':
      return par04();
    case 'ild-ecal':
    case 'ild-ecal-angular':
      return ildEcal(30);
    case 'ild-hcal':
      return ildHcal(48);
    default:
      return generic(g);
  }
}
