import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.js';

// One file at a time: the 3-D networks use both cores of a CI machine on their own.
export default mergeConfig(shared, defineConfig({ test: { setupFiles: ['test/setup.ts'], fileParallelism: false } }));
