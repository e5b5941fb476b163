import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '../../db/client';
import { rateLimits } from '../../db/schema';
import { userError } from '../errors';

export type MessageLimits = { perWindow: number; windowSeconds: number };

/**
 * Messages per user and window (CHAT_MESSAGES_PER_WINDOW per CHAT_MESSAGE_WINDOW_SECONDS), counted
 * in Postgres like sign-in attempts, so every instance shares the counts.
 */
export function createMessageLimiter(db: Database, limits: MessageLimits) {
  const limiter = new RateLimiterDrizzle({
    storeClient: db,
    schema: rateLimits,
    keyPrefix: 'chat-message',
    points: limits.perWindow,
    duration: limits.windowSeconds,
  });
  return {
    /** Counts one message by this user; refuses with TOO_MANY_REQUESTS and when to retry. */
    async consume(userId: string) {
      try {
        await limiter.consume(userId);
      } catch (res) {
        if (!(res instanceof RateLimiterRes)) throw res;
        const retryAfterSeconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
        throw userError('TOO_MANY_REQUESTS', `Too many messages: try again in ${retryAfterSeconds} s`, {
          retryAfterSeconds,
        });
      }
    },
  };
}

export type MessageLimiter = ReturnType<typeof createMessageLimiter>;
