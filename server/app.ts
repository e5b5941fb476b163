import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDatabase } from '../db/client';
import { authenticate } from './auth/authenticate';
import { createLoginLimiter } from './auth/login-limiter';
import { createTokenService } from './auth/tokens';
import type { Config } from './env';
import { startKeyPruning } from './idempotency/pruning';
import { createLive } from './live';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { createEphemeral } from './presence';
import { readiness } from './readiness';
import { createLocalSocketCount, createRedisSocketCount } from './transport/socket-count';
import { attachWebSocket } from './transport/ws';
import { createWriteLimiter } from './write-limits/limiter';
import { buildYoga } from './yoga';

/** Builds the API; nothing listens until `start()`, and `stop()` undoes everything in reverse. */
export async function buildApp(config: Config) {
  const log = createLogger(config.logLevel);
  const metrics = createMetrics();
  const database = createDatabase(config.databaseUrl, { max: config.databasePoolSize });
  const tokens = createTokenService({
    secret: config.jwtSecret,
    ttlSeconds: config.tokenTtlSeconds,
    renewGraceSeconds: config.tokenRenewGraceSeconds,
    maxSessionSeconds: config.sessionMaxAgeSeconds,
  });
  const live = createLive(config.live, {
    db: database.db,
    sql: database.client,
    databaseUrl: config.databaseUrl,
    log,
    metrics,
  });
  const ephemeral = createEphemeral({ ...config.presence, redisUrl: config.redisUrl }, log);
  /** Per-user caps that hold across instances: counted in Redis when there is one. */
  const countPerUser = (what: 'sockets' | 'streams', max: number) =>
    config.redisUrl
      ? // Leases of three keep-alive intervals: a dead instance's places free about as fast as its peers notice.
        createRedisSocketCount(config.redisUrl, { what, max, leaseMs: 3 * config.wsKeepAliveMs, log })
      : createLocalSocketCount(max);
  const sseStreamCount = countPerUser('streams', config.streams.maxSseStreamsPerUser);
  const writeLimiter = createWriteLimiter(config.writeLimits, { redisUrl: config.redisUrl, log });
  const yoga = buildYoga({
    db: database.db,
    tokens,
    live,
    loginLimiter: createLoginLimiter(database.db, config.login),
    writeLimiter,
    sseStreamsPerUser: { max: config.streams.maxSseStreamsPerUser, count: sseStreamCount },
    ephemeral,
    trustProxy: config.trustProxy,
    idempotency: config.idempotency,
    heartbeatMs: config.wsKeepAliveMs,
    webOrigins: config.webOrigins,
    limits: config.limits,
    metrics,
    log,
    ready: () => readiness({ db: database.db, live, redisConfigured: Boolean(config.redisUrl) }),
  });
  const server = createServer(yoga);
  const ws = attachWebSocket(
    server,
    yoga,
    {
      authenticate: (token) => authenticate({ db: database.db, tokens, live }, token),
      accounts: live.accounts,
      socketCount: countPerUser('sockets', config.sockets.maxSocketsPerUser),
    },
    { ...config.sockets, keepAliveMs: config.wsKeepAliveMs, webOrigins: config.webOrigins },
    { metrics, log },
  );

  let pruning: ReturnType<typeof startKeyPruning> | undefined;

  return {
    yoga,
    db: database.db,
    tokens,
    live,
    ephemeral,
    log,
    metrics,
    async start(): Promise<{ port: number; url: string }> {
      await live.start();
      ephemeral.start();
      pruning = startKeyPruning({
        db: database.db,
        ttlSeconds: config.idempotency.ttlSeconds,
        intervalMs: config.idempotency.pruneIntervalMs,
        log,
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        // A reconnect storm (another instance died) sends thousands of connects at once: Node's
        // default queue of 511 pending connections dropped SYNs, and those clients came back only
        // after the kernel's SYN retries (15–31 s). The kernel caps this at net.core.somaxconn.
        server.listen({ port: config.port, host: config.host, backlog: 4096 }, () => resolve());
      });
      const { port } = server.address() as AddressInfo;
      const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
      return { port, url: `http://${host}:${port}${yoga.graphqlEndpoint}` };
    },
    async stop() {
      await ws.stop();
      // Requests in flight get their responses; idle keep-alive connections go now, stragglers after a grace period.
      await new Promise<void>((resolve) => {
        const grace = setTimeout(() => server.closeAllConnections(), 5000);
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        server.closeIdleConnections();
      });
      await pruning?.stop();
      await sseStreamCount.stop();
      await ephemeral.stop();
      await live.stop();
      await writeLimiter.stop();
      await database.stop();
    },
  };
}

export type App = Awaited<ReturnType<typeof buildApp>>;
