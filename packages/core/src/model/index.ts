export * from './interfaces.js';
export * from './registry.js';
export * from './model-config.js';
export * from './config-parse.js';
