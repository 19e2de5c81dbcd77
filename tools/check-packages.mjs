/**
 * Package checks run by `npm test`: publint (package.json fields, exports, files) and
 * are-the-types-wrong (the types resolve for ESM consumers: `--profile esm-only`, since every
 * package is ESM-only) on every publishable workspace package, packed as npm would publish it.
 * Also `node --check` on every tracked script outside the packages' TypeScript (tools/, bench/,
 * scripts/), which no build or typecheck parses. Exits non-zero naming each problem. Needs the
 * packages built.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const failed = [];
for (const dir of readdirSync(path.join(root, 'packages')).map((d) => path.join(root, 'packages', d))) {
  const pkgFile = path.join(dir, 'package.json');
  if (!existsSync(pkgFile)) continue;
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
  // Placeholders without code (no exports yet) have nothing to check.
  if (pkg.private || !pkg.exports) continue;
  for (const [tool, args] of [['publint', ['--strict']], ['attw', ['--pack', '.', '--profile', 'esm-only', '--format', 'ascii']]]) {
    try {
      execFileSync(bin(tool), args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      process.stdout.write(`${pkg.name}: ${tool} ok\n`);
    } catch (err) {
      failed.push(`${pkg.name} (${tool})`);
      process.stdout.write(`${pkg.name}: ${tool} FAILED\n${err.stdout ?? ''}${err.stderr ?? ''}\n`);
    }
  }
}
const scripts = execFileSync('git', ['ls-files', '*.mjs', '*.cjs', '*.js'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter(Boolean);
for (const file of scripts) {
  try {
    execFileSync(process.execPath, ['--check', file], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (err) {
    failed.push(`${file} (node --check)`);
    process.stdout.write(`${file}: syntax error\n${err.stderr ?? ''}\n`);
  }
}
process.stdout.write(`syntax: ${scripts.length} scripts checked\n`);
if (failed.length) {
  process.stderr.write(`check-packages: problems in ${failed.join(', ')}\n`);
  process.exit(1);
}
