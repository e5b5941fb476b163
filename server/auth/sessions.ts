import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { sessions, users } from '../../db/schema';
import { createBatcher } from '../batcher';
import type { Role } from './tokens';

/** Why a session ended; the sockets it carried are closed with the matching message. */
export type SessionEnd =
  | 'signed-out'
  | 'revoked'
  | 'signed-out-everywhere'
  | 'password-changed'
  | 'password-reset'
  | 'deactivated';

export const closeReasons: Record<SessionEnd | 'role-changed', string> = {
  'signed-out': 'Signed out',
  revoked: 'Session revoked: sign in again',
  'signed-out-everywhere': 'Signed out everywhere: sign in again',
  'password-changed': 'Password changed: sign in again',
  'password-reset': 'Password reset by an administrator: sign in again',
  deactivated: 'Account deactivated',
  // Not an ending: the client renews (getting a token with the new role) and resubscribes.
  'role-changed': 'Role changed: renew your token',
};

/** Where a sign-in came from, as shown in `mySessions`. Truncated: headers are the client's to fill. */
export type SessionOrigin = { userAgent: string; address: string };

export async function startSession(db: Database, userId: string, origin: SessionOrigin): Promise<string> {
  const [row] = await db
    .insert(sessions)
    .values({ userId, userAgent: origin.userAgent.slice(0, 512), address: origin.address.slice(0, 128) })
    .returning({ id: sessions.id });
  return row.id;
}

export type SessionState = {
  userId: string;
  role: Role;
  ended: SessionEnd | null;
  deactivated: boolean;
};

/**
 * The one question every request asks (one indexed lookup, prepared once per pool; answered from
 * memory where the instance already knows the session, session-cache.ts): is this
 * session still active, and what is its user's role now? Lookups asked in one turn of the event
 * loop go together in one query (batcher.ts): a connection storm asks it once per socket.
 */
const stateLoaders = new WeakMap<Database, (sessionId: string) => Promise<SessionState | undefined>>();
/** Loads at once per pool (DATABASE_POOL_SIZE is 10 by default): the rest of its connections stay for other work. */
const LOOKUPS_IN_FLIGHT = 4;
const LOOKUPS_PER_QUERY = 500;

const prepareStates = (db: Database) =>
  db
    .select({
      id: sessions.id,
      userId: sessions.userId,
      endedAt: sessions.endedAt,
      endedReason: sessions.endedReason,
      role: users.role,
      deactivatedAt: users.deactivatedAt,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(sql`${sessions.id} = any(${sql.placeholder('sessionIds')}::uuid[])`)
    .prepare('session_states');

function stateLoader(db: Database) {
  let loader = stateLoaders.get(db);
  if (!loader) {
    const query = prepareStates(db);
    loader = createBatcher<string, SessionState>(
      async (sessionIds) => {
        const rows = await query.execute({ sessionIds });
        return new Map(
          rows.map((row) => [
            row.id,
            {
              userId: row.userId,
              role: row.role,
              ended: row.endedAt ? ((row.endedReason ?? 'revoked') as SessionEnd) : null,
              deactivated: row.deactivatedAt !== null,
            },
          ]),
        );
      },
      { maxInFlight: LOOKUPS_IN_FLIGHT, maxBatch: LOOKUPS_PER_QUERY },
    );
    stateLoaders.set(db, loader);
  }
  return loader;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function sessionState(db: Database, sessionId: string): Promise<SessionState | null> {
  // Not an id (tokens.ts refuses those already): no session, and no cast error for the whole batch.
  if (!UUID.test(sessionId)) return null;
  return (await stateLoader(db)(sessionId)) ?? null;
}

export async function touchSession(db: Database, sessionId: string): Promise<void> {
  await db.update(sessions).set({ lastSeenAt: sql`now()` }).where(eq(sessions.id, sessionId));
}

/**
 * Ends a user's active sessions (one, all, or all but one). A trigger turns each into an `account`
 * event, which closes their sockets and streams on every instance (docs/realtime.md).
 */
export async function endSessions(
  db: Pick<Database, 'update'>,
  target: { userId: string; sessionId?: string; exceptSessionId?: string },
  reason: SessionEnd,
): Promise<string[]> {
  const rows = await db
    .update(sessions)
    .set({ endedAt: sql`now()`, endedReason: reason })
    .where(
      and(
        eq(sessions.userId, target.userId),
        isNull(sessions.endedAt),
        target.sessionId ? eq(sessions.id, target.sessionId) : undefined,
        target.exceptSessionId ? ne(sessions.id, target.exceptSessionId) : undefined,
      ),
    )
    .returning({ id: sessions.id });
  return rows.map((r) => r.id);
}
