import { Redis } from 'ioredis';
import { RateLimiterDrizzle, RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '../../db/client';
import { rateLimits } from '../../db/schema';
import { userError } from '../errors';
import type { Logger } from '../logger';
import { WRITE_LIMIT_NAMES, WRITE_LIMITS, type WriteLimitName, type WriteLimits } from './table';

export type WriteLimiter = {
  /**
   * Counts one write of this kind by this user, or throws TOO_MANY_REQUESTS with
   * `retryAfterSeconds`. `db` is the request's own handle: a keyed mutation runs in a
   * transaction holding one pooled connection, and counting on a second one could exhaust the
   * pool under load (server/idempotency).
   */
  consume(name: WriteLimitName, userId: string, db: Database): Promise<void>;
  stop(): Promise<void>;
};

const keyPrefix = (name: WriteLimitName) => `homeroom:write:${name}`;

function refusal(name: WriteLimitName, res: RateLimiterRes) {
  const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return userError('TOO_MANY_REQUESTS', `Too many ${WRITE_LIMITS[name].what}: try again in ${retryAfterSeconds} s`, {
    limit: name,
    retryAfterSeconds,
  });
}

async function counted(name: WriteLimitName, consume: () => Promise<unknown>) {
  try {
    await consume();
  } catch (error) {
    if (error instanceof RateLimiterRes) throw refusal(name, error);
    throw error;
  }
}

/**
 * The limits of server/write-limits/table.ts, shared by every instance. With Redis: one counter
 * per user and limit (rate-limiter-flexible's atomic fixed window, on Redis' clock); while Redis is
 * unreachable each instance counts for itself in memory (the limit guards capacity, not rights, so
 * writes go on), and the outage is logged. Without Redis: the `rate_limits` table in Postgres,
 * where sign-in attempts are counted too.
 */
export function createWriteLimiter(limits: WriteLimits, options: { redisUrl?: string; log: Logger }): WriteLimiter {
  const { redisUrl, log } = options;
  if (!redisUrl) {
    return {
      consume: (name, userId, db) =>
        counted(name, () =>
          // Bound to this request's handle (see `consume`); constructing one is a few assignments.
          new RateLimiterDrizzle({
            storeClient: db,
            schema: rateLimits,
            keyPrefix: keyPrefix(name),
            points: limits[name].writes,
            duration: limits[name].seconds,
            clearExpiredByTimeout: false, // the sign-in limiter already prunes the table hourly
          }).consume(userId),
        ),
      stop: async () => {},
    };
  }

  // Fail fast while Redis is away (no offline queue), so the in-memory insurance answers at once.
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', (error) => log.warn({ err: error.message }, 'redis error (write limits): counting per instance'));
  const limiters = new Map(
    WRITE_LIMIT_NAMES.map((name) => {
      const common = { points: limits[name].writes, duration: limits[name].seconds, keyPrefix: keyPrefix(name) };
      return [
        name,
        new RateLimiterRedis({ ...common, storeClient: redis, insuranceLimiter: new RateLimiterMemory(common) }),
      ] as const;
    }),
  );
  return {
    consume: (name, userId) => counted(name, () => limiters.get(name)!.consume(userId)),
    async stop() {
      redis.disconnect();
    },
  };
}
