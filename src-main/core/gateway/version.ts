import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Gatehouse's own version, from package.json (shown to clients and upstream servers). */
export const GATEHOUSE_VERSION: string = (require('../../../package.json') as { version: string }).version;
