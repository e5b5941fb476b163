import { sql } from 'drizzle-orm';
import { check, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { users } from './people';

/**
 * One row per `Idempotency-Key` a signed-in caller sent with a mutation (server/idempotency/):
 * written in the same transaction as the mutation it answers, so a committed row always means
 * "applied, and this was the answer". Kept `IDEMPOTENCY_TTL_SECONDS` (24 h), then pruned.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    key: text('key').notNull(),
    /** sha256 of operation name, printed document and variables: the same key may not name another operation. */
    fingerprint: text('fingerprint').notNull(),
    operationName: text('operation_name'),
    /** The execution result the first request answered (`{ data }`), replayed as is. */
    response: jsonb('response'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [t.userId, t.key] }),
    index('idempotency_keys_created_at_idx').on(t.createdAt),
    check('idempotency_keys_key_check', sql`char_length(${t.key}) between 1 and 255`),
  ],
);
