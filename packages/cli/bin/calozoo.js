#!/usr/bin/env node
// The `calozoo` command that npm links into node_modules/.bin. This file is committed (and
// executable) so that it exists when `npm install` links bins: npm silently skips a bin whose
// file is missing, and dist/ only appears after the build.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/bin.js', import.meta.url);
if (existsSync(entry)) {
  await import(entry.href);
} else {
  process.stderr.write(
    'calozoo: the CLI is not built (packages/cli/dist/bin.js is missing); ' +
      'run `npx nx run @calozoo/cli:build` (or `npm run build`) first\n',
  );
  process.exitCode = 1;
}
