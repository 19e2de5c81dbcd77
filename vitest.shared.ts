/**
 * The one vitest configuration every package uses: sibling packages resolve from `src/`
 * through the `@calozoo/source` export condition, so tests need no build.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

/** Each run's own TMPDIR, removed at the end (tools/vitest/temp-dir.ts). */
export const tempDirSetup = fileURLToPath(new URL('./tools/vitest/temp-dir.ts', import.meta.url));

export default defineConfig({
  resolve: { conditions: ['@calozoo/source'] },
  ssr: { resolve: { conditions: ['@calozoo/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: [tempDirSetup],
  },
});
