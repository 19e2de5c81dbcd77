import { execFile } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI_ROOT } from './helpers.js';

const execFileAsync = promisify(execFile);
const REPO_ROOT = path.resolve(CLI_ROOT, '..', '..');
const VERSION = (JSON.parse(readFileSync(path.join(CLI_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * Runs npm/npx at the repository root as a user would in a fresh clone: without the npm_* variables
 * of the `npm run test` that started vitest, and with installing from the registry forbidden, so
 * the command can only come from the workspace's node_modules/.bin link.
 */
async function atRoot(cmd: 'npm' | 'npx', args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return execFileAsync(cmd, args, { cwd: REPO_ROOT, env: { ...env, NO_COLOR: '1' }, timeout: 60_000 });
}

describe('the calozoo bin', () => {
  it('stops quietly when its reader closes the pipe early (`calozoo train --help | head -1`)', async () => {
    const bin = path.join(CLI_ROOT, 'dist', 'bin.js');
    // `head -1` exits after the first line; the CLI then writes into a closed pipe.
    const { stdout, stderr } = await execFileAsync('bash', ['-c', `set -o pipefail; '${process.execPath}' '${bin}' train --help | head -1; echo "exit \${PIPESTATUS[0]}" >&2`], { timeout: 60_000 });
    expect(stdout).toMatch(/^Usage: calozoo train/);
    expect(stderr).not.toMatch(/EPIPE|Unhandled|Error/);
    expect(stderr).toMatch(/exit 0/);
  });
});

describe('the calozoo bin from the repository root', () => {
  it('npm install links node_modules/.bin/calozoo to the committed packages/cli/bin/calozoo.js', () => {
    expect(realpathSync(path.join(REPO_ROOT, 'node_modules', '.bin', 'calozoo'))).toBe(path.join(CLI_ROOT, 'bin', 'calozoo.js'));
  });

  it('`npm exec --no -- calozoo --version` prints the CLI version', async () => {
    const { stdout } = await atRoot('npm', ['exec', '--no', '--', 'calozoo', '--version']);
    expect(stdout.trim()).toBe(VERSION);
  });

  it('`npx --no-install calozoo --help` prints the usage', async () => {
    const { stdout } = await atRoot('npx', ['--no-install', 'calozoo', '--help']);
    expect(stdout).toMatch(/^Usage: calozoo \[options\] \[command\]/);
    expect(stdout).toMatch(/\bsimulate\b/);
  });
});
