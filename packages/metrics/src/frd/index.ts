/** Fréchet Regression Distance (field-reference.md §2.7). */
export { frd } from './frd.js';
export type { FrdOptions, FrdResult } from './frd.js';
export { FrdRegressor, loadOrTrainFrdRegressor, FRD_FEATURES } from './regressor.js';
export type { FrdArchitecture, FrdRegressorConfig, FrdTrainOptions } from './regressor.js';
