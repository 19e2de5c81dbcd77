import { packageVersion } from '@calozoo/core';

/** Version of @calozoo/cli, read from its package.json. */
export const CLI_VERSION: string = packageVersion(new URL('../package.json', import.meta.url));
