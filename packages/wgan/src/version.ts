/** The package version, read from package.json (one level above both src/ and dist/). */
import { packageVersion } from '@calozoo/core';

/** Version of @calozoo/wgan. */
export const WGAN_VERSION: string = packageVersion(new URL('../package.json', import.meta.url));
