import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { LoginLimits } from './auth/login-limiter';
import type { IdempotencyConfig } from './idempotency/plugin';
import type { QueryLimits, StreamLimits } from './limits';
import type { LiveConfig } from './live';
import {
  parseWriteLimit,
  WRITE_LIMIT_NAMES,
  WRITE_LIMITS,
  type WriteLimits,
  writeLimitEnvName,
} from './write-limits/table';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z.string().url({ message: 'must be a postgres:// URL' }),
  REDIS_URL: z.string().url({ message: 'must be a redis:// URL' }).optional(),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  JWT_SECRET_FILE: z.string().default('.data/jwt-secret'),
  // At most a day: tokens are meant to be short-lived and renewed (and Node timers top out at 24.8 days).
  TOKEN_TTL_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
  TOKEN_RENEW_GRACE_SECONDS: z.coerce.number().int().min(0).default(3600),
  SESSION_MAX_AGE_SECONDS: z.coerce
    .number()
    .int()
    .min(60)
    .default(7 * 24 * 3600),
  WEB_ORIGINS: z.string().default('http://localhost:3000,http://127.0.0.1:3000'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).default(10),
  RELAY_SWEEP_MS: z.coerce.number().int().min(50).default(500),
  RELAY_BATCH_SIZE: z.coerce.number().int().min(1).default(500),
  LIVE_REPAIR_INTERVAL_MS: z.coerce.number().int().min(100).default(2000),
  LIVE_DEGRADED_POLL_MS: z.coerce.number().int().min(50).default(500),
  OUTBOX_RETENTION_DAYS: z.coerce.number().min(0).default(7),
  OUTBOX_RETENTION_INTERVAL_MS: z.coerce.number().int().min(1000).default(3600_000),
  LIVE_MAX_QUEUED_EVENTS: z.coerce.number().int().min(1).default(1000),
  LIVE_RECENT_EVENTS: z.coerce.number().int().min(0).default(10_000),
  CONTENT_COALESCE_MS: z.coerce.number().int().min(0).default(250),
  STATS_COALESCE_MS: z.coerce.number().int().min(0).default(500),
  QUERY_MAX_DEPTH: z.coerce.number().int().min(1).default(12),
  QUERY_MAX_COST: z.coerce.number().int().min(1).default(20_000),
  QUERY_MAX_ALIASES: z.coerce.number().int().min(0).default(30),
  QUERY_MAX_TOKENS: z.coerce.number().int().min(1).default(4000),
  QUERY_MAX_DIRECTIVES: z.coerce.number().int().min(0).default(50),
  WS_KEEPALIVE_MS: z.coerce.number().int().min(1000).default(12_000),
  WS_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WS_MAX_MESSAGE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(64 * 1024),
  WS_MAX_SOCKETS_PER_USER: z.coerce.number().int().min(1).default(10),
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: z.coerce.number().int().min(1).default(100),
  SSE_MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).default(20),
  LOGIN_ATTEMPTS_PER_ACCOUNT: z.coerce.number().int().min(1).default(10),
  LOGIN_ATTEMPTS_PER_ACCOUNT_TOTAL: z.coerce.number().int().min(1).default(100),
  LOGIN_ATTEMPTS_PER_ADDRESS: z.coerce.number().int().min(1).default(300),
  LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
  PRESENCE_HEARTBEAT_MS: z.coerce.number().int().min(100).default(2000),
  PRESENCE_EXPIRY_MS: z.coerce.number().int().min(300).default(6000),
  PRESENCE_LEAVE_GRACE_MS: z.coerce.number().int().min(0).max(10_000).default(1000),
  TYPING_EXPIRY_MS: z.coerce.number().int().min(500).default(5000),
  TRUST_PROXY: z.enum(['0', '1']).default('0'),
  IDEMPOTENCY_TTL_SECONDS: z.coerce.number().int().min(60).default(86_400),
  IDEMPOTENCY_WAIT_MS: z.coerce.number().int().min(0).max(60_000).default(10_000),
  IDEMPOTENCY_PRUNE_INTERVAL_MS: z.coerce.number().int().min(1000).default(3600_000),
  // WRITE_LIMIT_POSTS, WRITE_LIMIT_GRADES, … one per line of server/write-limits/table.ts.
  ...Object.fromEntries(
    WRITE_LIMIT_NAMES.map((name) => [
      writeLimitEnvName(name),
      z
        .string()
        .refine((v) => parseWriteLimit(v) !== null, 'must be "<writes>/<seconds>", e.g. "10/60"')
        .optional(),
    ]),
  ),
});

/** What graphql-ws sockets may do (server/transport/ws.ts). Configuration owns it: no transport import here. */
export type SocketLimits = {
  keepAliveMs: number;
  /** How long a socket may stay open before it sends connection_init (then 4408). */
  initTimeoutMs: number;
  maxMessageBytes: number;
  maxSocketsPerUser: number;
  maxSubscriptionsPerSocket: number;
  webOrigins: string[];
};

export type Config = {
  port: number;
  host: string;
  databaseUrl: string;
  redisUrl: string | undefined;
  jwtSecret: string;
  tokenTtlSeconds: number;
  tokenRenewGraceSeconds: number;
  sessionMaxAgeSeconds: number;
  webOrigins: string[];
  logLevel: z.infer<typeof schema>['LOG_LEVEL'];
  databasePoolSize: number;
  wsKeepAliveMs: number;
  sockets: Omit<SocketLimits, 'keepAliveMs' | 'webOrigins'>;
  streams: StreamLimits;
  login: LoginLimits;
  presence: { heartbeatMs: number; expiryMs: number; leaveGraceMs: number; typingExpiryMs: number };
  /** Take the client address from X-Forwarded-For (behind a trusted proxy). */
  trustProxy: boolean;
  limits: QueryLimits;
  live: LiveConfig;
  idempotency: IdempotencyConfig;
  writeLimits: WriteLimits;
};

/** Validates the environment once, at start, with an error that says what to fix. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration (see README "Configuration"):\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    jwtSecret: e.JWT_SECRET ?? readOrCreateSecret(e.JWT_SECRET_FILE),
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    tokenRenewGraceSeconds: e.TOKEN_RENEW_GRACE_SECONDS,
    sessionMaxAgeSeconds: e.SESSION_MAX_AGE_SECONDS,
    webOrigins: e.WEB_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    logLevel: e.LOG_LEVEL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    wsKeepAliveMs: e.WS_KEEPALIVE_MS,
    sockets: {
      initTimeoutMs: e.WS_INIT_TIMEOUT_MS,
      maxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
      maxSocketsPerUser: e.WS_MAX_SOCKETS_PER_USER,
      maxSubscriptionsPerSocket: e.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
    },
    streams: { maxSseStreamsPerUser: e.SSE_MAX_STREAMS_PER_USER },
    login: {
      perAccount: e.LOGIN_ATTEMPTS_PER_ACCOUNT,
      perAccountTotal: e.LOGIN_ATTEMPTS_PER_ACCOUNT_TOTAL,
      perAddress: e.LOGIN_ATTEMPTS_PER_ADDRESS,
      windowSeconds: e.LOGIN_WINDOW_SECONDS,
    },
    presence: {
      heartbeatMs: e.PRESENCE_HEARTBEAT_MS,
      expiryMs: e.PRESENCE_EXPIRY_MS,
      leaveGraceMs: e.PRESENCE_LEAVE_GRACE_MS,
      typingExpiryMs: e.TYPING_EXPIRY_MS,
    },
    trustProxy: e.TRUST_PROXY === '1',
    limits: {
      maxDepth: e.QUERY_MAX_DEPTH,
      maxCost: e.QUERY_MAX_COST,
      maxAliases: e.QUERY_MAX_ALIASES,
      maxTokens: e.QUERY_MAX_TOKENS,
      maxDirectives: e.QUERY_MAX_DIRECTIVES,
    },
    live: {
      redisUrl: e.REDIS_URL,
      relaySweepMs: e.RELAY_SWEEP_MS,
      relayBatchSize: e.RELAY_BATCH_SIZE,
      repairIntervalMs: e.LIVE_REPAIR_INTERVAL_MS,
      degradedPollMs: e.LIVE_DEGRADED_POLL_MS,
      retentionDays: e.OUTBOX_RETENTION_DAYS,
      retentionIntervalMs: e.OUTBOX_RETENTION_INTERVAL_MS,
      maxQueuedEvents: e.LIVE_MAX_QUEUED_EVENTS,
      contentCoalesceMs: e.CONTENT_COALESCE_MS,
      statsCoalesceMs: e.STATS_COALESCE_MS,
      recentEvents: e.LIVE_RECENT_EVENTS,
    },
    idempotency: {
      ttlSeconds: e.IDEMPOTENCY_TTL_SECONDS,
      waitMs: e.IDEMPOTENCY_WAIT_MS,
      pruneIntervalMs: e.IDEMPOTENCY_PRUNE_INTERVAL_MS,
    },
    writeLimits: Object.fromEntries(
      WRITE_LIMIT_NAMES.map((name) => {
        const override = (e as Record<string, unknown>)[writeLimitEnvName(name)];
        const { writes, seconds } = WRITE_LIMITS[name];
        return [name, typeof override === 'string' ? parseWriteLimit(override)! : { writes, seconds }];
      }),
    ) as WriteLimits,
  };
}

/** Without JWT_SECRET, instances on one machine share a generated secret kept beside the data. */
function readOrCreateSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dirname(file), { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  try {
    writeFileSync(file, secret, { mode: 0o600, flag: 'wx' });
    return secret;
  } catch (error) {
    // Another instance created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8').trim();
    throw error;
  }
}
