/** The package version written into model cards. */
import { packageVersion } from '@calozoo/core';

/** Version of @calozoo/bib-ae (from its package.json). */
export const BIBAE_VERSION: string = packageVersion(new URL('../package.json', import.meta.url));
