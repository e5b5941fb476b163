import { sql } from 'drizzle-orm';
import { bigint, customType, index, jsonb, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Postgres' 64-bit transaction id; read as a decimal string so no precision is lost. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/**
 * One row per committed change, written by triggers in the same transaction (see
 * db/README.md and docs/realtime.md). Rows carry ids and routing keys, never whole rows.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    // Ordering is (xid, id): readers only take rows whose transaction is older than every
    // transaction still in flight, so a row can never appear behind a cursor already handed out.
    xid: xid8('xid').notNull().default(sql`pg_current_xact_id()`),
    topic: text('topic').notNull(),
    action: text('action').notNull(),
    courseId: uuid('course_id'),
    audienceUserId: uuid('audience_user_id'),
    entityId: uuid('entity_id').notNull(),
    data: jsonb('data').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('outbox_xid_id_idx').on(t.xid, t.id), index('outbox_created_at_idx').on(t.createdAt)],
);

/** Single-row bookkeeping of the relay (last published cursor) and of retention (pruned through). */
export const outboxState = pgTable('outbox_state', {
  id: smallint('id').primaryKey().default(1),
  publishedXid: xid8('published_xid'),
  publishedId: bigint('published_id', { mode: 'bigint' }),
  prunedXid: xid8('pruned_xid'),
  prunedId: bigint('pruned_id', { mode: 'bigint' }),
});
