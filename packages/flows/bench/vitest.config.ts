import { defineConfig } from 'vitest/config';

/** `npm run bench`: the benchmark runs as one long vitest file, outside the test suite. */
export default defineConfig({
  resolve: { conditions: ['@calozoo/source'] },
  ssr: { resolve: { conditions: ['@calozoo/source'] } },
  test: {
    include: ['bench/**/*.bench-run.ts'],
    testTimeout: 3_600_000,
    pool: 'forks',
  },
});
