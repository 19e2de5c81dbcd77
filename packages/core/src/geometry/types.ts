/**
 * Shower geometries: where every voxel of a flattened shower sits.
 *
 * Two kinds exist. CaloChallenge cylindrical binnings (layers × angular bins × radial bins,
 * radial index fastest, as the official XMLHandler orders them) and regular Cartesian grids
 * (layer z × x × y, y fastest), which convolutional networks need.
 */

/** One layer of a cylindrical CaloChallenge binning. */
export interface CylindricalLayer {
  /** Layer id as in the binning XML (ATLAS sampling number for dataset 1). */
  readonly id: number;
  /** Radial bin edges in mm; `[0]` (one edge) marks an empty layer. */
  readonly rEdges: readonly number[];
  /** Number of radial bins (rEdges.length - 1, or 0 for an empty layer). */
  readonly nR: number;
  /** Number of angular bins. */
  readonly nAlpha: number;
  /** Index of this layer's first voxel in the flattened shower. */
  readonly offset: number;
  /** Number of voxels of this layer (nR · nAlpha). */
  readonly voxels: number;
}

/** A CaloChallenge-style cylindrical binning (datasets 1, 2, 3). */
export interface CylindricalGeometry {
  readonly kind: 'cylindrical';
  /** Geometry id, kebab-case, e.g. `calochallenge-1-photons`. */
  readonly id: string;
  /** Particle name of the XML `<Bin name=…>` (photon, pion, electron). */
  readonly particle: string;
  /** Every layer with voxels, in increasing id order (empty layers are dropped). */
  readonly layers: readonly CylindricalLayer[];
  /** Total number of voxels. */
  readonly voxels: number;
}

/** A regular Cartesian grid, flattened as (z, x, y) with y fastest. */
export interface GridGeometry {
  readonly kind: 'grid';
  /** Geometry id, kebab-case, e.g. `ild-ecal`. */
  readonly id: string;
  /** Particle the grid is usually used with (photon, pion, …), informational. */
  readonly particle: string;
  /** Grid shape [layers (z), x, y]. */
  readonly shape: readonly [number, number, number];
  /** Cell pitch in mm along [z, x, y]. */
  readonly cellSizeMm: readonly [number, number, number];
  /** Total number of voxels (product of shape). */
  readonly voxels: number;
}

/** Any geometry calozoo knows. */
export type Geometry = CylindricalGeometry | GridGeometry;

/** Half-open voxel range [start, end) of one layer in the flattened shower. */
export interface LayerSlice {
  /** Layer id (XML id for cylindrical, z index for grids). */
  readonly id: number;
  readonly start: number;
  readonly end: number;
}

/** Per-voxel coordinates, each array of length `geometry.voxels`. */
export interface CellCentres {
  /** Layer position in the flattened layer list (0..nLayers-1). */
  readonly layerIndex: Int32Array;
  /**
   * First transverse coordinate: mm for cylindrical (x_eta = r·cos(alpha)), cell index for
   * grids (as the DESY observables use bin units).
   */
  readonly x: Float64Array;
  /** Second transverse coordinate: x_phi = r·sin(alpha) in mm, or cell index for grids. */
  readonly y: Float64Array;
  /** Radial centre in mm (cylindrical) or distance to the grid centre in cell units (grids). */
  readonly r: Float64Array;
  /** Angular centre in rad (cylindrical; alpha starts at -pi) or atan2(y, x) about the grid centre. */
  readonly alpha: Float64Array;
}
