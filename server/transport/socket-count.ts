import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../logger';

/**
 * How many sockets (WS_MAX_SOCKETS_PER_USER) or live HTTP streams (SSE_MAX_STREAMS_PER_USER) each
 * user holds. With Redis the count spans every instance; without it (one instance) it is kept in
 * memory.
 */
export type SocketCount = {
  /** Counts one more socket of the user, or answers false when they are at the cap. */
  acquire(userId: string): Promise<string | null>;
  /** Forgets a socket that `acquire` counted (by the lease it returned). */
  release(userId: string, lease: string): void;
  stop(): Promise<void>;
};

export function createLocalSocketCount(max: number): SocketCount {
  const open = new Map<string, number>();
  let next = 0;
  return {
    async acquire(userId) {
      const n = open.get(userId) ?? 0;
      if (n >= max) return null;
      open.set(userId, n + 1);
      return String(++next);
    },
    release(userId) {
      const left = (open.get(userId) ?? 1) - 1;
      if (left > 0) open.set(userId, left);
      else open.delete(userId);
    },
    stop: async () => {},
  };
}

// One sorted set per user: a member per socket, scored by when its lease runs out. Expired members
// (an instance that died without releasing) are dropped before counting. Redis' own clock, so
// instances' clocks need not agree.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + tonumber(ARGV[1]), ARGV[i + 1])
  redis.call('PEXPIRE', key, ARGV[1])
end
return 1`;

/**
 * The count in Redis. Each socket holds a lease of `leaseMs`, renewed by its instance every third
 * of it: the sockets of an instance that dies stop counting within `leaseMs`. While Redis is
 * unreachable sockets are let in (the cap guards resources, not rights) and the failure is logged.
 */
export function createRedisSocketCount(
  url: string,
  options: {
    max: number;
    leaseMs: number;
    log: Logger /** What is counted: its own key per user. */;
    what: 'sockets' | 'streams';
  },
): SocketCount {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  redis.on('error', (error) => options.log.warn({ err: error.message }, `redis error (${options.what} count)`));
  const key = (userId: string) => `homeroom:${options.what}:${userId}`;
  const held = new Map<string, string>(); // lease → user
  const instance = randomUUID();
  let next = 0;
  const timer = setInterval(() => {
    if (held.size === 0) return;
    const leases = [...held.keys()];
    redis
      .eval(RENEW, leases.length, ...leases.map((l) => key(held.get(l)!)), options.leaseMs, ...leases)
      .catch((error: Error) => options.log.warn({ err: error.message }, `${options.what} leases not renewed`));
  }, options.leaseMs / 3);
  timer.unref();
  return {
    async acquire(userId) {
      const lease = `${instance}:${++next}`;
      try {
        const ok = await redis.eval(ACQUIRE, 1, key(userId), options.max, options.leaseMs, lease);
        if (ok !== 1) return null;
      } catch (error) {
        options.log.warn({ err: (error as Error).message }, `${options.what} count unavailable; let in`);
      }
      held.set(lease, userId);
      return lease;
    },
    release(userId, lease) {
      held.delete(lease);
      redis.zrem(key(userId), lease).catch(() => {}); // else its lease runs out
    },
    async stop() {
      clearInterval(timer);
      const leases = [...held];
      held.clear();
      await Promise.all(leases.map(([lease, userId]) => redis.zrem(key(userId), lease).catch(() => {})));
      redis.disconnect();
    },
  };
}
