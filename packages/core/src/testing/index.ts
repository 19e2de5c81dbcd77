export * from './plugin-conformance.js';
