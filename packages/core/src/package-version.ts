/** Package versions read from package.json files (for provenance: file attributes, reports, model cards). */
import { readFileSync } from 'node:fs';

const cache = new Map<string, string>();

/**
 * The `version` of the package.json at `url` (e.g. `new URL('../package.json', import.meta.url)`,
 * the same place from a package's src/ and dist/), read once; "unknown" when it cannot be read.
 */
export function packageVersion(url: URL): string {
  let v = cache.get(url.href);
  if (v === undefined) {
    try {
      v = (JSON.parse(readFileSync(url, 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
      v = 'unknown';
    }
    cache.set(url.href, v);
  }
  return v;
}
