import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (src/cli/ is two levels below it); relative settings resolve against it. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
