import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '../../db/client';
import { rateLimits } from '../../db/schema';
import { userError } from '../errors';

export type LoginLimits = { perAccount: number; perAddress: number; windowSeconds: number };

/**
 * Brute-force protection for `login`, counted in Postgres so every instance shares the counts:
 * failed attempts per account, and all attempts per client address.
 */
export function createLoginLimiter(db: Database, limits: LoginLimits) {
  const common = { storeClient: db, schema: rateLimits, duration: limits.windowSeconds };
  const byAccount = new RateLimiterDrizzle({ ...common, keyPrefix: 'login-account', points: limits.perAccount });
  const byAddress = new RateLimiterDrizzle({ ...common, keyPrefix: 'login-address', points: limits.perAddress });

  function refusal(res: unknown) {
    if (!(res instanceof RateLimiterRes)) throw res;
    const retryAfter = Math.ceil(res.msBeforeNext / 1000);
    return userError('TOO_MANY_REQUESTS', `Too many sign-in attempts: try again in ${retryAfter} s`, {
      retryAfterSeconds: retryAfter,
    });
  }

  return {
    /** Counts an attempt from this address; refuses when the address or the account is over its limit. */
    async check(email: string, address: string) {
      try {
        await byAddress.consume(address);
      } catch (res) {
        throw refusal(res);
      }
      const account = await byAccount.get(email);
      if (account && account.consumedPoints >= limits.perAccount) throw refusal(account);
    },
    async failed(email: string) {
      await byAccount.penalty(email).catch(() => {});
    },
    async succeeded(email: string) {
      await byAccount.delete(email).catch(() => {});
    },
  };
}

export type LoginLimiter = ReturnType<typeof createLoginLimiter>;
