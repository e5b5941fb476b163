import { buildApp } from '../server/app';
import { type Config, loadConfig } from '../server/env';

/** A fixed secret, so tests can mint tokens themselves when they need to. */
export const TEST_JWT_SECRET = 'homeroom-test-secret-0123456789-abcdefghij';

export type TestApp = {
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** ws://127.0.0.1:<port>/graphql (graphql-ws, subprotocol graphql-transport-ws) */
  wsUrl: string;
  /** http://127.0.0.1:<port> (for /health, /ready, /metrics) */
  baseUrl: string;
  port: number;
  config: Config;
  stop(): Promise<void>;
};

/**
 * The real API (buildApp) on a free port of 127.0.0.1, logging nothing. Without `redisUrl` it uses
 * the in-process event target. `env` overrides any other setting (e.g. TOKEN_TTL_SECONDS).
 */
export async function startTestApp(options: {
  databaseUrl: string;
  redisUrl?: string;
  env?: Record<string, string>;
}): Promise<TestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'silent',
    DATABASE_POOL_SIZE: '4',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  });
  const app = await buildApp(config);
  const { port } = await app.start();
  const baseUrl = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    url: `${baseUrl}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    baseUrl,
    port,
    config,
    stop: () => (stopped ??= app.stop()),
  };
}
