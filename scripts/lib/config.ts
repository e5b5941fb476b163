import { join, resolve } from 'node:path';

/**
 * What `npm start` / `npm run dev` read from the environment. Everything has a default, so a fresh
 * clone needs none; a second copy (the e2e suite) overrides ports and the data folder.
 *
 * | variable            | default                              | meaning                                   |
 * |---------------------|--------------------------------------|-------------------------------------------|
 * | DATABASE_URL        | (unset: embedded Postgres)           | use this Postgres instead (db/embedded-env.ts) |
 * | HOMEROOM_DATA_DIR   | .data                                | embedded cluster (`postgres/`), JWT secret, pid files |
 * | EMBEDDED_PG_PORT    | 54329                                | embedded Postgres port (127.0.0.1)        |
 * | PORT                | 4000                                 | API port                                  |
 * | WEB_PORT            | 3000                                 | web app port                              |
 * | HOMEROOM_API_URL    | http://localhost:$PORT/graphql       | API URL the browser uses                  |
 * | HOMEROOM_SEED       | 1                                    | 0 skips the demo seed                     |
 * Also set for the API unless given: JWT_SECRET_FILE=$HOMEROOM_DATA_DIR/jwt-secret and
 * WEB_ORIGINS=http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT.
 */
export type StartOptions = {
  dev: boolean;
  dataDir: string;
  apiPort: number;
  webPort: number;
  apiUrl: string;
  seed: boolean;
};

export function readStartOptions(env: NodeJS.ProcessEnv, dev: boolean): StartOptions {
  const apiPort = port(env, 'PORT', 4000);
  const webPort = port(env, 'WEB_PORT', 3000);
  if (apiPort === webPort) throw new Error(`PORT and WEB_PORT must differ (both are ${apiPort})`);
  return {
    dev,
    dataDir: resolve(env.HOMEROOM_DATA_DIR || '.data'),
    apiPort,
    webPort,
    apiUrl: env.HOMEROOM_API_URL || `http://localhost:${apiPort}/graphql`,
    seed: env.HOMEROOM_SEED !== '0',
  };
}

/** The environment the API (in-process or child) and the web app run with. */
export function childEnv(env: NodeJS.ProcessEnv, options: StartOptions, databaseUrl: string): NodeJS.ProcessEnv {
  const web = [`http://localhost:${options.webPort}`, `http://127.0.0.1:${options.webPort}`].join(',');
  return {
    ...env,
    DATABASE_URL: databaseUrl,
    PORT: String(options.apiPort),
    WEB_PORT: String(options.webPort),
    HOMEROOM_API_URL: options.apiUrl,
    JWT_SECRET_FILE: env.JWT_SECRET_FILE || join(options.dataDir, 'jwt-secret'),
    WEB_ORIGINS: env.WEB_ORIGINS || web,
    NEXT_TELEMETRY_DISABLED: '1',
  };
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new Error(`${name}=${raw} is not a port number (1-65535); unset it for the default ${fallback}`);
  }
  return value;
}
