export * from './errors.js';
export * from './rng.js';
export * from './showers.js';
export * from './geometry/index.js';
export * from './model-dir/index.js';
export * from './model/index.js';
export * from './preprocessing/index.js';
export * from './device/index.js';
