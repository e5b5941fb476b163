import { closeReasons, type SessionEnd } from '../auth/sessions';
import type { LiveEvent } from './event';
import type { Hub, HubListener } from './hub';
import { ACCOUNT_TOPIC } from './topic';

/**
 * A change of access, from the outbox (triggers on `sessions` and `users`, so every write path
 * produces one) through the relay and the event bus to every instance: a session ended
 * (`sessionId` set), or the user's role changed (`sessionId` null: all their sessions).
 */
export type AccountEvent = { userId: string; sessionId: string | null; reason: SessionEnd | 'role-changed' };

export function accountEventOf(event: Pick<LiveEvent, 'audienceUserId' | 'data'>): AccountEvent {
  const sessionId = typeof event.data.sessionId === 'string' ? event.data.sessionId : null;
  const reason = String(event.data.reason ?? 'revoked') as AccountEvent['reason'];
  return { userId: event.audienceUserId!, sessionId, reason: reason in closeReasons ? reason : 'revoked' };
}

/** Whether an account event takes away what a session (of its user) was granted. */
export const affects = (e: AccountEvent, userId: string, sessionId: string | null) =>
  e.userId === userId && (e.sessionId === null || e.sessionId === sessionId);

/** How long an event is remembered, to catch one that lands while a connect is being authenticated. */
const REMEMBER_MS = 60_000;

/**
 * This instance's view of account events: hands each to the transports (which close the sockets
 * it affects) and remembers recent ones, so a socket authenticated just before an event that was
 * dispatched just before the socket registered is still closed (`changedSince`).
 */
export function createAccountWatch(hub: Hub) {
  const listeners = new Set<(event: AccountEvent) => void>();
  const recent: { at: number; event: AccountEvent }[] = [];
  const routes = [{ topic: ACCOUNT_TOPIC }];
  const listener: HubListener = {
    hear(raw) {
      if (raw.topic !== ACCOUNT_TOPIC || !raw.audienceUserId) return;
      const event = accountEventOf(raw);
      const now = Date.now();
      while (recent.length && now - recent[0].at > REMEMBER_MS) recent.shift();
      recent.push({ at: now, event });
      for (const l of listeners) l(event);
    },
  };
  return {
    start: () => void hub.listen(routes, listener),
    stop: () => hub.unlisten(routes, listener),
    subscribe(callback: (event: AccountEvent) => void): () => void {
      listeners.add(callback);
      return () => listeners.delete(callback);
    },
    /** The latest event heard at or after `since` (ms) that affects this session, if any. */
    changedSince(userId: string, sessionId: string, since: number): AccountEvent | undefined {
      for (let i = recent.length - 1; i >= 0 && recent[i].at >= since; i--)
        if (affects(recent[i].event, userId, sessionId)) return recent[i].event;
      return undefined;
    },
  };
}

export type AccountWatch = ReturnType<typeof createAccountWatch>;
