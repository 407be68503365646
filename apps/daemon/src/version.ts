import { createRequire } from 'node:module';

/** The daemon package's version, as its package.json gives it. */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
