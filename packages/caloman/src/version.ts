/** The package version, read from package.json (one level above both src/ and dist/). */
import { packageVersion } from '@calozoo/core';

/** Version of @calozoo/caloman. */
export const CALOMAN_VERSION: string = packageVersion(new URL('../package.json', import.meta.url));
