export * from './atomic.js';
export * from './safetensors.js';
