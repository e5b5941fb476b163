import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: scripts run from anywhere still find the app, node_modules and .next. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export const NEXT_BIN = join(ROOT, 'node_modules/next/dist/bin/next');
export const TSX_CLI = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
