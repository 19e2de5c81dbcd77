export * from './errors.js';
export * from './rng.js';
export * from './showers.js';
export * from './geometry/types.js';
export * from './model-dir/index.js';
