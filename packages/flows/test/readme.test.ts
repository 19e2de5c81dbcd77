/** Runs the first TypeScript example of README.md ("Use"), so that it cannot rot (zuko's docstring tests). */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

it('README "Use" example runs', async () => {
  const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
  const use = readme.slice(readme.indexOf('## Use'));
  const code = /```ts\n([\s\S]*?)```/.exec(use)?.[1];
  expect(code).toBeDefined();
  const file = join(here, `.readme-example-${process.pid}.ts`);
  writeFileSync(file, code!.replace("from '@calozoo/flows'", "from '../src/index.js'"));
  const logs: unknown[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => logs.push(a);
  try {
    await import(file);
  } finally {
    console.log = log;
    rmSync(file, { force: true });
  }
  expect(logs.length).toBe(3);
});
