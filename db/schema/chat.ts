import { sql } from 'drizzle-orm';
import {
  bigint,
  check,
  index,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { courses, users } from './people';

/** CHANNEL: one per course, every member. DIRECT: its participants (never two students). */
export const conversationKind = pgEnum('conversation_kind', ['CHANNEL', 'DIRECT']);

export const conversations = pgTable(
  'conversations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    kind: conversationKind('kind').notNull(),
    /** DIRECT: the two participants' ids, sorted and joined with ':' (one conversation per pair and course). */
    pairKey: text('pair_key'),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('conversations_one_channel_per_course').on(t.courseId).where(sql`${t.kind} = 'CHANNEL'`),
    unique('conversations_course_id_pair_key_key').on(t.courseId, t.pairKey),
    check('conversations_pair_key_check', sql`(${t.kind} = 'DIRECT') = (${t.pairKey} is not null)`),
  ],
);

export const conversationParticipants = pgTable(
  'conversation_participants',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.conversationId, t.userId] }),
    index('conversation_participants_user_id_idx').on(t.userId),
  ],
);

export const messages = pgTable(
  'messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Orders a conversation's messages and its read markers (uuids do not order). */
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    authorId: uuid('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Chosen by the sender's client: a retried send finds the message it already made. */
    clientMessageId: text('client_message_id').notNull(),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    editedAt: timestamp('edited_at', { withTimezone: true }),
  },
  (t) => [
    unique('messages_author_id_client_message_id_key').on(t.authorId, t.clientMessageId),
    index('messages_conversation_id_seq_idx').on(t.conversationId, t.seq),
    check('messages_body_check', sql`length(${t.body}) between 1 and 4000`),
    check('messages_client_message_id_check', sql`length(${t.clientMessageId}) between 1 and 100`),
  ],
);

/** How far each reader has read a conversation (channels have no participant rows, so a table of its own). */
export const conversationReads = pgTable(
  'conversation_reads',
  {
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    lastReadSeq: bigint('last_read_seq', { mode: 'number' }).notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.conversationId, t.userId] })],
);
