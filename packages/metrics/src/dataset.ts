/**
 * Which evaluation conventions apply to a geometry: the CaloChallenge dataset (binnings and
 * thresholds of field-reference.md §1.5 and §2.2), an ILD grid (§5), or a generic geometry.
 */
import type { Geometry } from '@calozoo/core';

/** Evaluation family of a geometry. */
export type DatasetKind = 'ds1-photons' | 'ds1-pions' | 'ds2' | 'ds3' | 'ild' | 'cylindrical' | 'grid';

/** Version of the feature definitions; bump whenever a feature or binning changes (§6.3). */
export const FEATURE_EXTRACTOR_VERSION = '1.1.0';

/** DS2/DS3 readout threshold: 0.5 keV / 0.033 sampling fraction = 0.01515 MeV (§1.1, §1.5). */
export const DS23_THRESHOLD_MEV = 0.5e-3 / 0.033;

/** The evaluation family of a geometry, from its id. */
export function datasetKind(g: Geometry): DatasetKind {
  switch (g.id) {
    case 'calochallenge-1-photons':
      return 'ds1-photons';
    case 'calochallenge-1-pions':
      return 'ds1-pions';
    case 'calochallenge-2':
      return 'ds2';
    case 'calochallenge-3':
      return 'ds3';
    default:
      if (g.id.startsWith('ild-')) return 'ild';
      return g.kind;
  }
}

/**
 * The official voxel threshold in MeV, applied before every observable: 1 MeV for DS1,
 * 0.01515 MeV for DS2/DS3 (§1.5), the 0.1 MeV MIP cut for ILD and other grids (§5.1); generic
 * cylindrical geometries use the DS2/DS3 value.
 */
export function defaultThreshold(g: Geometry): number {
  const k = datasetKind(g);
  if (k === 'ds1-photons' || k === 'ds1-pions') return 1;
  if (k === 'ild' || k === 'grid') return 0.1;
  return DS23_THRESHOLD_MEV;
}

/** The 15 discrete DS1 incident energies 2^8 … 2^22 MeV (§1.3). */
export const DS1_ENERGIES: readonly number[] = Array.from({ length: 15 }, (_, i) => 2 ** (i + 8));
