/** The README's TypeScript example runs as written (train, save, load through the registry, generate). */
import * as path from 'node:path';
import { expect, it } from 'vitest';
import { runReadmeExamples } from '@calozoo/core/testing';

it('runs the README example', async () => {
  expect(await runReadmeExamples(path.join(import.meta.dirname, '..', 'README.md'))).toBe(1);
}, 120_000);
