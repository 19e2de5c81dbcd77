export * from './transforms.js';
export * from './representation.js';
