import { sql } from 'drizzle-orm';
import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './people';

/**
 * One row per sign-in. Every token names its session (`sid`); a request is served only while its
 * session is active and its user is not deactivated (server/auth/authenticate.ts).
 */
export const sessions = pgTable(
  'sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userAgent: text('user_agent').notNull().default(''),
    address: text('address').notNull().default(''),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** The last sign-in or renewal (the web app renews every few minutes while it is open). */
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    /** Why it ended: signed-out, revoked, signed-out-everywhere, password-changed, password-reset, deactivated. */
    endedReason: text('ended_reason'),
  },
  (t) => [index('sessions_user_id_idx').on(t.userId).where(sql`${t.endedAt} is null`)],
);
