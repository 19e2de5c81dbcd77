/**
 * Runs the README's "Use" example (the first ts block after "## Use") against the sources, so the
 * documentation cannot rot. Imports are mapped to the modules; console.log output is captured
 * and compared with the values the example states in its `// …` comments.
 */
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as core from '@calozoo/core';
import { describe, expect, it } from 'vitest';
import * as simulator from '../src/index.js';

const MODULES: Record<string, unknown> = { 'node:fs': fs, 'node:os': os, 'node:path': path, '@calozoo/core': core, '@calozoo/simulator': simulator };

describe('README', () => {
  it('the Use example runs and prints what its comments say', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const use = readme.slice(readme.indexOf('## Use'));
    const code = /```ts\n([\s\S]*?)```/.exec(use)?.[1];
    expect(code).toBeDefined();
    const lines = (code as string).split('\n');
    const body = lines
      .map((l) => {
        const m = /^import \{ (.+) \} from '(.+)';$/.exec(l);
        if (!m) return l;
        expect(MODULES[m[2]], `module ${m[2]}`).toBeDefined();
        return `const { ${m[1]} } = __modules[${JSON.stringify(m[2])}];`;
      })
      .join('\n');
    const printed: string[] = [];
    const log = (...args: unknown[]): void => void printed.push(args.map(String).join(' '));
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...a: string[]) => (...x: unknown[]) => Promise<void>;
    await new AsyncFunction('__modules', 'console', body)(MODULES, { log });
    const expected = lines.filter((l) => /console\.log\(.*\);\s*\/\/ /.test(l)).map((l) => l.split('// ')[1].replace(/ \(.*\)$/, ''));
    expect(printed).toEqual(expected);
  });
});
