import { type RateLimiterAbstract, RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';
import type { Database } from '../../db/client';
import { rateLimits } from '../../db/schema';
import { userError } from '../errors';

export type LoginLimits = { perAccount: number; perAccountTotal: number; perAddress: number; windowSeconds: number };

/**
 * Brute-force protection for `login` and `changePassword`, counted in Postgres so every instance
 * shares the counts: all attempts per client address; failed attempts per account from one
 * address; failed attempts per account from all addresses (a much higher ceiling). Why the account
 * is counted with its address, and what that leaves an attacker: README, Limits and security.
 */
export function createLoginLimiter(db: Database, limits: LoginLimits) {
  const limiter = (keyPrefix: string, points: number) =>
    new RateLimiterDrizzle({ storeClient: db, schema: rateLimits, duration: limits.windowSeconds, keyPrefix, points });
  const byAddress = limiter('login-address', limits.perAddress);
  const byAccountAtAddress = limiter('login-account-address', limits.perAccount);
  const byAccount = limiter('login-account', limits.perAccountTotal);

  async function consume(counter: RateLimiterAbstract, key: string) {
    try {
      await counter.consume(key);
    } catch (res) {
      if (!(res instanceof RateLimiterRes)) throw res;
      const retryAfter = Math.ceil(res.msBeforeNext / 1000);
      throw userError('TOO_MANY_REQUESTS', `Too many sign-in attempts: try again in ${retryAfter} s`, {
        retryAfterSeconds: retryAfter,
      });
    }
  }

  return {
    /**
     * Counts one attempt as a failure before the password is checked: the hash takes tens of
     * milliseconds, and a count raised only after it let 30 concurrent guesses pass a limit of 10.
     * Refuses when any count is over its limit. Call `succeeded` when the password was right.
     */
    async attempt(email: string, address: string) {
      const pair = `${address} ${email}`;
      await consume(byAddress, address);
      await consume(byAccountAtAddress, pair);
      await consume(byAccount, email);
      return {
        /** The owner signed in: their address starts afresh, and this attempt was no failure. */
        async succeeded() {
          await Promise.all([byAccountAtAddress.delete(pair), byAccount.reward(email)]).catch(() => {});
        },
      };
    },
  };
}

export type LoginLimiter = ReturnType<typeof createLoginLimiter>;
