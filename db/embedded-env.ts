import { join, resolve } from 'node:path';
import { startEmbeddedPostgres } from './embedded';

export type DatabaseFromEnv = {
  url: string;
  /** True when we started embedded Postgres (and `stop()` stops it). */
  embedded: boolean;
  stop(): Promise<void>;
};

/**
 * DATABASE_URL when set; otherwise embedded Postgres in $HOMEROOM_DATA_DIR/postgres (default
 * `.data/postgres`) on 127.0.0.1:$EMBEDDED_PG_PORT (default 54329), database `homeroom`.
 * Used by `npm start`/`npm run dev`; `server/main.ts` can use it the same way:
 *
 *   const database = await databaseFromEnv(process.env);
 *   const app = await buildApp(loadConfig({ ...process.env, DATABASE_URL: database.url }));
 *   // on shutdown: await app.stop(); await database.stop();
 */
export async function databaseFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  onLog?: (line: string) => void,
): Promise<DatabaseFromEnv> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: false, stop: async () => {} };
  const raw = env.EMBEDDED_PG_PORT || '54329';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`EMBEDDED_PG_PORT=${raw} is not a port number (1-65535); unset it for the default 54329`);
  }
  const dataDir = join(resolve(env.HOMEROOM_DATA_DIR || '.data'), 'postgres');
  const pg = await startEmbeddedPostgres({ dataDir, port, database: 'homeroom', onLog });
  return { url: pg.url, embedded: true, stop: pg.stop };
}
