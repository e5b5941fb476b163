import { join } from 'node:path';
import { buildApp } from '../../server/app';
import { loadConfig } from '../../server/env';
import { type ManagedChild, spawnManaged } from './child';
import { ROOT, TSX_CLI } from './paths';

/** `npm start`: the API in this process, configured from `env` exactly as `server/main.ts` would be. */
export async function startApiInProcess(env: NodeJS.ProcessEnv): Promise<{ url: string; stop(): Promise<void> }> {
  const app = await buildApp(loadConfig(env));
  const { port } = await app.start();
  return { url: `http://localhost:${port}`, stop: () => app.stop() };
}

/**
 * `npm run dev`: `tsx watch server/main.ts` as a child, restarted on every change under server/
 * and db/. It gets DATABASE_URL, so it never starts a second embedded Postgres.
 */
export function startApiWatcher(env: NodeJS.ProcessEnv, pidFile: string): ManagedChild {
  const args = [TSX_CLI, 'watch', '--clear-screen=false', join(ROOT, 'server/main.ts')];
  return spawnManaged('api', process.execPath, args, { env, cwd: ROOT, pidFile });
}
