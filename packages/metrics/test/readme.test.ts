/** The README's example is this package's test/readme-example.ts, verbatim, and it runs. */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { main } from './readme-example.js';

it('README example is included verbatim and runs', async () => {
  const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
  const example = readFileSync(resolve(import.meta.dirname, 'readme-example.ts'), 'utf8').replace(/^\/\* eslint-disable.*\n/, '');
  expect(readme).toContain(example.trim());
  const dir = mkdtempSync(join(tmpdir(), 'calozoo-metrics-readme-'));
  const table = await main(dir);
  expect(table).toMatch(/FPD ×10³/);
  expect(existsSync(join(dir, 'index.html'))).toBe(true);
  expect(JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')).summary.meanSeparationPower).toBeGreaterThan(0);
});
