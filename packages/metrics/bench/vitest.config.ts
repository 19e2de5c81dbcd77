import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@calozoo/source'] },
  ssr: { resolve: { conditions: ['@calozoo/source'] } },
  test: {
    include: ['bench/**/*.bench.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
