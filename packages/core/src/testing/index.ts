export * from './plugin-conformance.js';
export * from './readme-examples.js';
export * from './backends.js';
export * from './chromium.js';
export * from './showers.js';
