export * from './transforms.js';
