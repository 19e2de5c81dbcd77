/** Runs every TypeScript example of README.md, so that they cannot rot (zuko's docstring tests). */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { runReadmeExamples } from '@calozoo/core/testing';

it('README examples run', async () => {
  const readme = join(dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
  expect(await runReadmeExamples(readme)).toBe(3);
});
