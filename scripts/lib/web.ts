import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type ManagedChild, spawnManaged } from './child';
import { NEXT_BIN, ROOT } from './paths';

/** Inputs of `next build`: when any is newer than `.next/BUILD_ID`, the build is stale. */
const BUILD_INPUTS = [
  'app',
  'public',
  'next.config.mjs',
  'next.config.ts',
  'tsconfig.json',
  'package.json',
  'package-lock.json',
];

/**
 * Why the production build must be (re)made, or undefined when it is current. A build from
 * `next dev` leaves `.next` without BUILD_ID, so it counts as missing too.
 */
export function staleBuildReason(root = ROOT): string | undefined {
  const buildId = join(root, '.next', 'BUILD_ID');
  if (!existsSync(buildId)) return 'no production build yet';
  const builtAt = statSync(buildId).mtimeMs;
  for (const input of BUILD_INPUTS) {
    const changed = newerThan(join(root, input), builtAt);
    if (changed) return `${changed.slice(root.length)} changed since the last build`;
  }
  return undefined;
}

function newerThan(path: string, time: number): string | undefined {
  if (!existsSync(path)) return undefined;
  const stat = statSync(path);
  if (stat.mtimeMs > time) return path;
  if (!stat.isDirectory()) return undefined;
  for (const entry of readdirSync(path)) {
    const changed = newerThan(join(path, entry), time);
    if (changed) return changed;
  }
  return undefined;
}

/**
 * `next build`, output prefixed; resolves when it succeeded. `onChild` registers the child for
 * shutdown and returns how to forget it once the build is over.
 */
export async function buildWeb(env: NodeJS.ProcessEnv, onChild: (child: ManagedChild) => () => void): Promise<void> {
  const child = spawnManaged('build', process.execPath, [NEXT_BIN, 'build'], { env, cwd: ROOT });
  const forget = onChild(child);
  const { code, signal } = await child.exited;
  forget();
  if (code !== 0) throw new Error(`next build failed (${signal ?? `exit code ${code}`})`);
}

/** `next start` (or `next dev`) on `port`, in its own process group, recorded in `pidFile`. */
export function startWeb(options: {
  dev: boolean;
  port: number;
  env: NodeJS.ProcessEnv;
  pidFile: string;
}): ManagedChild {
  const args = [NEXT_BIN, options.dev ? 'dev' : 'start', '--port', String(options.port)];
  return spawnManaged('web', process.execPath, args, { env: options.env, cwd: ROOT, pidFile: options.pidFile });
}
