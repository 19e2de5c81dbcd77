/**
 * The version of @calozoo/simulator, read from its package.json (same relative place from src/
 * and dist/), written into shower files as `generator_version`.
 */
import { readFileSync } from 'node:fs';

let version: string | undefined;

/** Returns this package's version string ("unknown" if package.json cannot be read). */
export function simulatorVersion(): string {
  if (version === undefined) {
    try {
      version = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
