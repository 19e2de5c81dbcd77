/**
 * The version of @calozoo/simulator, read from its package.json (same relative place from src/
 * and dist/), written into shower files as `generator_version`.
 */
import { packageVersion } from '@calozoo/core';

/** Returns this package's version string ("unknown" if package.json cannot be read). */
export function simulatorVersion(): string {
  return packageVersion(new URL('../package.json', import.meta.url));
}
