import { type App, buildApp } from '../server/app';
import { type Config, loadConfig } from '../server/env';
import { WRITE_LIMIT_NAMES, writeLimitEnvName } from '../server/write-limits/table';

/** A fixed secret, so tests can mint tokens themselves when they need to. */
export const TEST_JWT_SECRET = 'homeroom-test-secret-0123456789-abcdefghij';

export type TestApp = {
  /** The built app itself: `app.yoga.fetch`, `app.live.relay.isLeader()`, `app.live.hub`, `app.tokens`… */
  app: App;
  config: Config;
  /** http://127.0.0.1:<port>/graphql */
  url: string;
  /** ws://127.0.0.1:<port>/graphql (graphql-ws, subprotocol graphql-transport-ws) */
  wsUrl: string;
  /** http://127.0.0.1:<port> (for /health, /ready, /metrics) */
  baseUrl: string;
  port: number;
  stop(): Promise<void>;
};

/**
 * The one way tests start the API: the real app (buildApp), in this process, started on a free
 * port of 127.0.0.1. Without `redisUrl` it uses the in-process event target. `env` overrides any
 * setting (e.g. TOKEN_TTL_SECONDS). It logs nothing unless TEST_LOG_LEVEL is set (e.g. `debug`).
 * (A server in a child process, for signals and logs: test/spawn-api.ts.)
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
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_POOL_SIZE: '6',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    // Tests write far faster than people; the limits have their own tests (server/write-limits), with their own values.
    ...Object.fromEntries(WRITE_LIMIT_NAMES.map((name) => [writeLimitEnvName(name), '100000/60'])),
    ...options.env,
  });
  const app = await buildApp(config);
  let port: number;
  try {
    ({ port } = await app.start());
  } catch (error) {
    await app.stop();
    throw error;
  }
  const baseUrl = `http://127.0.0.1:${port}`;
  let stopped: Promise<void> | undefined;
  return {
    app,
    config,
    url: `${baseUrl}/graphql`,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    baseUrl,
    port,
    stop: () => (stopped ??= app.stop()),
  };
}
