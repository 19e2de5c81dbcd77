/** `npm run bench`: the shared vitest configuration with the bench files, long timeouts and one file at a time. */
import { defineConfig } from 'vitest/config';
import shared from '../../../vitest.shared.js';

export default defineConfig({
  ...shared,
  test: {
    ...shared.test,
    include: ['bench/**/*.bench.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    fileParallelism: false,
  },
});
