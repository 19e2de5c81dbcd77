/**
 * vitest global setup of every package: the test run gets its own temporary directory (TMPDIR,
 * inherited by the test workers and the CLI processes they start), removed when the run ends, so
 * that `npm test` leaves nothing in the system's temporary directory even where a test forgets.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Points TMPDIR at a fresh directory; the returned teardown removes it. */
export default function setup(): () => void {
  const previous = process.env['TMPDIR'];
  const dir = mkdtempSync(join(tmpdir(), 'calozoo-test-'));
  process.env['TMPDIR'] = dir;
  return () => {
    if (previous === undefined) delete process.env['TMPDIR'];
    else process.env['TMPDIR'] = previous;
    rmSync(dir, { recursive: true, force: true });
  };
}
