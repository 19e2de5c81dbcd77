import { defineConfig } from 'vitest/config';
import { tempDirSetup } from '../../vitest.shared.js';

export default defineConfig({
  resolve: { conditions: ['@calozoo/source'] },
  ssr: { resolve: { conditions: ['@calozoo/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One file at a time: the 3-D networks use both cores of a CI machine on their own.
    fileParallelism: false,
    globalSetup: [tempDirSetup],
  },
});
