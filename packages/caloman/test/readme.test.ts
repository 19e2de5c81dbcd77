import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '@calozoo/core';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('README', () => {
  it('runs the "Use" example and its saved model loads through the registry', async () => {
    const readme = readFileSync(path.join(here, '..', 'README.md'), 'utf8');
    const use = readme.slice(readme.indexOf('## Use'));
    const code = use.slice(use.indexOf('```ts') + 5, use.indexOf('```', use.indexOf('```ts') + 5));
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'caloman-readme-')), 'model');
    const file = path.join(here, `.readme-example-${process.pid}.ts`);
    writeFileSync(file, code.replaceAll('/tmp/caloman-example', out).replaceAll('console.log', 'void'));
    try {
      await import(/* @vite-ignore */ file);
    } finally {
      rmSync(file, { force: true });
    }
    const model = await loadModel(out);
    const s = await model.generate({ energy: Float32Array.of(4096) }, { seed: 1 });
    expect(s.voxels).toBe(368);
    expect(s.values.some((v) => v > 0)).toBe(true);
    model.dispose();
  }, 600_000);
});
