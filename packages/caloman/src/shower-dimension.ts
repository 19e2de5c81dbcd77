/**
 * The intrinsic dimension of showers as CaloMan's VAE sees them (thresholded, within-layer
 * fractions, optionally √ or logit transformed): the backend of `calozoo intrinsic-dim`, used to
 * choose `latentDim` (field-reference.md §4.7, §4.9).
 */
import { InvalidArgumentError, layerSlices, toLayerFractions, type Geometry, type Showers } from '@calozoo/core';
import { intrinsicDimension, type IntrinsicDimensionEstimate } from './intrinsic-dimension.js';
import { thresholded, voxelForward, type VoxelTransform } from './preprocess.js';

/** Options of `showerIntrinsicDimension`. */
export interface ShowerIntrinsicDimensionOptions {
  /** Neighbourhood sizes (default [5, 10, 20]). */
  k?: readonly number[];
  /** Representation of the fractions (default `sqrt`, CaloMan's default VAE input). */
  voxelTransform?: VoxelTransform;
  /** Voxel threshold in MeV applied first (default 0). */
  thresholdMeV?: number;
  /** Use at most this many showers, the first ones (default 5000; the k-NN search is O(n²)). */
  maxShowers?: number;
}

/** Estimates the intrinsic dimension of showers in the VAE's input representation, per k. */
export function showerIntrinsicDimension(showers: Showers, geometry: Geometry, options: ShowerIntrinsicDimensionOptions = {}): IntrinsicDimensionEstimate[] {
  if (showers.voxels !== geometry.voxels) {
    throw new InvalidArgumentError(`showerIntrinsicDimension: showers have ${showers.voxels} voxels, geometry "${geometry.id}" has ${geometry.voxels}; pass the matching geometry.`);
  }
  const n = Math.min(showers.n, options.maxShowers ?? 5000);
  const V = showers.voxels;
  const values = thresholded(showers.values.subarray(0, n * V), options.thresholdMeV ?? 0);
  const { fractions } = toLayerFractions(values, n, V, layerSlices(geometry));
  return intrinsicDimension(voxelForward(fractions, options.voxelTransform ?? 'sqrt'), n, V, { k: options.k ?? [5, 10, 20] });
}
