import { sql } from 'drizzle-orm';
import { bigint, customType, index, jsonb, pgTable, smallint, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Postgres' 64-bit transaction id; read as a decimal string so no precision is lost. */
const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/** A transaction snapshot (`pg_current_snapshot()`): xmin, xmax and the transactions in flight. */
const pgSnapshot = customType<{ data: string; driverData: string }>({ dataType: () => 'pg_snapshot' });

/**
 * One row per committed change, written by triggers in the same transaction (see
 * db/README.md and docs/realtime.md). Rows carry ids and routing keys, never whole rows.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    // The writing transaction: joins a row to its position in outbox_commits.
    xid: xid8('xid').notNull().default(sql`pg_current_xact_id()`),
    topic: text('topic').notNull(),
    action: text('action').notNull(),
    courseId: uuid('course_id'),
    audienceUserId: uuid('audience_user_id'),
    entityId: uuid('entity_id').notNull(),
    data: jsonb('data').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('outbox_xid_id_idx').on(t.xid, t.id)],
);

/**
 * Commit order: one row per transaction that wrote outbox rows, numbered by `outbox_order()`
 * (the relay) once the transaction is visible. An event's cursor is (pos, outbox id), so it is
 * given only after its transaction committed and never lands behind one already handed out.
 */
export const outboxCommits = pgTable('outbox_commits', {
  pos: bigint('pos', { mode: 'bigint' }).primaryKey(),
  xid: xid8('xid').notNull().unique('outbox_commits_xid_key'),
  orderedAt: timestamp('ordered_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * Single-row bookkeeping: how far commits are ordered (the last position and the snapshot it was
 * taken in), what the relay published and how far retention pruned (both cursors: pos, id).
 */
export const outboxState = pgTable('outbox_state', {
  id: smallint('id').primaryKey().default(1),
  orderedPos: bigint('ordered_pos', { mode: 'bigint' }).notNull().default(0n),
  orderedSnapshot: pgSnapshot('ordered_snapshot'),
  publishedPos: bigint('published_pos', { mode: 'bigint' }),
  publishedId: bigint('published_id', { mode: 'bigint' }),
  prunedPos: bigint('pruned_pos', { mode: 'bigint' }),
  prunedId: bigint('pruned_id', { mode: 'bigint' }),
});
