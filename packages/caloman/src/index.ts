/**
 * @calozoo/caloman: CaloMan (arXiv:2211.15380), a layer-energy flow, a conditional VAE and a
 * spline flow on its latent space. Importing the package registers the `caloman` plugin.
 */
import { registerModel } from '@calozoo/core';
import { calomanPlugin } from './plugin.js';

export { calomanPlugin, parseCaloManConfig } from './plugin.js';
export { CaloManModel, PLUGIN_NAME, COMPONENTS, type CaloManState } from './model.js';
export { defaultConfigFor, publishedConfigFor, DS1_ENERGIES_MEV, type CaloManConfig, type FlowNetConfig, type PhaseTrainingConfig } from './configs.js';
export { intrinsicDimension, nearestSquaredDistances, type IntrinsicDimensionEstimate, type IntrinsicDimensionOptions } from './intrinsic-dimension.js';
export { showerIntrinsicDimension, type ShowerIntrinsicDimensionOptions } from './shower-dimension.js';
export { calibrateResponse, applyResponseCalibration, fitResponseCalibration, calibrationEdges, type ResponseCalibration } from './calibration.js';
export { type EplTransform, type VoxelTransform, type Standardiser } from './preprocess.js';
export type { CaloManGraph } from './onnx.js';
export type { VaeLikelihood } from './vae.js';
export { CALOMAN_VERSION } from './version.js';

registerModel(calomanPlugin);
