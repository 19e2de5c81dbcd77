import { expect, it } from 'vitest';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runReadmeExamples } from '../src/testing/readme-examples.js';

it('the README example runs', async () => {
  const readme = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'README.md');
  expect(await runReadmeExamples(readme)).toBe(1);
}, 120_000);
