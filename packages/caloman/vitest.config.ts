import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@calozoo/source'] },
  ssr: { resolve: { conditions: ['@calozoo/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
