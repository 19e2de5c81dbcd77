/** The package version, read from package.json (one level above both src/ and dist/). */
import { createRequire } from 'node:module';

/** Version of @calozoo/caloman. */
export const CALOMAN_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
