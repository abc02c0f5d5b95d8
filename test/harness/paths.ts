import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, whichever directory a test or script was started from. */
export const repositoryRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
