import { type App, buildApp } from '../../server/app';
import { type Config, loadConfig } from '../../server/env';
import { TEST_JWT_SECRET } from '../app';

export type LiveTestApp = {
  /** The built app itself: `app.live.relay.isLeader()`, `app.live.hub`, `app.tokens`… */
  app: App;
  config: Config;
  url: string;
  wsUrl: string;
  baseUrl: string;
  port: number;
  stop(): Promise<void>;
};

/**
 * Like `startTestApp` (test/app.ts), but hands back the built app so live tests can see which
 * instance leads the relay and what its hub has dispatched.
 */
export async function startLiveApp(options: {
  databaseUrl: string;
  redisUrl?: string;
  env?: Record<string, string>;
}): Promise<LiveTestApp> {
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: options.databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: process.env.LIVE_TEST_LOG_LEVEL ?? 'silent',
    DATABASE_POOL_SIZE: '6',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...options.env,
  });
  const app = await buildApp(config);
  const { port } = await app.start();
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

/**
 * Counts live subscriptions registering with an instance's hub from now on:
 *
 *   const registered = newStreams(api);
 *   conn.subscribe(…); conn.subscribe(…);
 *   await registered(2); // both streams take events from here on
 *
 * (Each stream listens to its topic plus `membership`: two hub listeners per stream.)
 */
export function newStreams(app: LiveTestApp) {
  const listeners = () => app.app.live.hub.stats().listeners;
  const base = listeners();
  return async (streams: number, timeoutMs = 10_000) => {
    const { waitFor } = await import('./wait');
    await waitFor(() => listeners() >= base + streams * 2, { timeoutMs, what: `${streams} new live streams` });
  };
}
