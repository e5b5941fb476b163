import { LRUCache } from 'lru-cache';
import type { Database } from '../../db/client';
import type { AccountWatch } from '../live/accounts';
import { type SessionState, sessionState } from './sessions';

type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];
/** Whose access changed: one session of the user's, or (`sessionId` null) all of them. */
type AccessChange = { userId: string; sessionId: string | null };

/** Sessions remembered per instance: about 100 bytes each. */
const MAX_SESSIONS = 100_000;
/**
 * A remembered session is looked up again after this long even without an account event: a
 * safety net (there should be nothing for it to catch), cheap at one lookup per session per
 * ten minutes.
 */
const MAX_AGE_MS = 10 * 60_000;

/**
 * The active sessions this instance has looked up, kept until an account event says otherwise,
 * so that a request whose session is known asks Postgres nothing: a crowd polling every 10 s
 * would otherwise look every session up six times a minute to be told nothing is new.
 *
 * Every end of a session, deactivation and role change is an account event (triggers on
 * `sessions` and `users`, live/accounts.ts) that reaches every instance and drops what it
 * touches here; the instance that made the change also drops it at once (`changeAccess`). So a
 * change bites on the next request of the instance that made it, and on every other instance as
 * soon as its event arrives there — the moment that instance closes the user's sockets
 * (bench (i): p99 ~20 ms) — and a request there answers as of that instance's event log.
 *
 * Kept: active sessions only (an ended session stays ended; deactivating a user ends their
 * sessions). A lookup overtaken by an account event of its session is answered but not kept: its
 * row may predate the change. While the event bus is down (`heard()` false) account events come
 * only with the hub's slower outbox reads, so nothing is remembered: every request looks its
 * session up, as before the cache, until the bus is back.
 */
export function createSessionCache(accounts: AccountWatch, heard: () => boolean) {
  const known = new LRUCache<string, SessionState>({ max: MAX_SESSIONS, ttl: MAX_AGE_MS });

  /** One session, or (without one: a role change, a deactivation) every session of the user. */
  function forget(change: AccessChange) {
    if (change.sessionId) known.delete(change.sessionId);
    else for (const [id, state] of known.entries()) if (state.userId === change.userId) known.delete(id);
  }

  const unsubscribe = accounts.subscribe(forget);

  return {
    /** The session's state: remembered, or looked up (and remembered while it is active). */
    async state(db: Database, sessionId: string): Promise<SessionState | null> {
      if (!heard()) {
        known.clear();
        return sessionState(db, sessionId);
      }
      const remembered = known.get(sessionId);
      if (remembered) return remembered;
      const since = Date.now();
      const state = await sessionState(db, sessionId);
      const keep =
        state &&
        !state.ended &&
        !state.deactivated &&
        heard() &&
        !accounts.changedSince(state.userId, sessionId, since);
      if (keep) known.set(sessionId, state);
      return state;
    },
    /** Drops what a change this instance just made touches. */
    forget,
    size: () => known.size,
    stop: () => void unsubscribe(),
  };
}

export type SessionCache = ReturnType<typeof createSessionCache>;

/**
 * Runs a change of access (a session ended, or a user's deactivation, role or password) in one
 * transaction, then drops what it touches on this instance: its next request looks it up. Other
 * instances drop theirs when the change's account event arrives.
 */
export async function changeAccess<T>(
  ctx: { db: Database; live: { sessions: SessionCache } },
  of: AccessChange,
  change: (tx: Transaction) => Promise<T>,
): Promise<T> {
  const result = await ctx.db.transaction(change);
  ctx.live.sessions.forget(of);
  return result;
}
