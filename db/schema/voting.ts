import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, pgEnum, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { courses, users } from './people';

export const pollStatus = pgEnum('poll_status', ['OPEN', 'CLOSED']);

export const polls = pgTable(
  'polls',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    question: text('question').notNull(),
    status: pollStatus('status').notNull().default('OPEN'),
    closesAt: timestamp('closes_at', { withTimezone: true }),
    createdById: uuid('created_by_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    closedAt: timestamp('closed_at', { withTimezone: true }),
  },
  (t) => [
    unique('polls_id_course_id_key').on(t.id, t.courseId),
    index('polls_course_id_created_at_idx').on(t.courseId, t.createdAt),
  ],
);

export const pollOptions = pgTable(
  'poll_options',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pollId: uuid('poll_id')
      .notNull()
      .references(() => polls.id, { onDelete: 'cascade' }),
    label: text('label').notNull(),
    position: integer('position').notNull(),
  },
  (t) => [
    unique('poll_options_poll_id_position_key').on(t.pollId, t.position),
    unique('poll_options_id_poll_id_key').on(t.id, t.pollId),
    check('poll_options_position_check', sql`${t.position} >= 0`),
  ],
);

export const ballots = pgTable(
  'ballots',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    pollId: uuid('poll_id').notNull(),
    courseId: uuid('course_id').notNull(),
    optionId: uuid('option_id').notNull(),
    voterId: uuid('voter_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({
      name: 'ballots_poll_fkey',
      columns: [t.pollId, t.courseId],
      foreignColumns: [polls.id, polls.courseId],
    }).onDelete('cascade'),
    // The chosen option must belong to the poll the ballot is cast in.
    foreignKey({
      name: 'ballots_option_fkey',
      columns: [t.optionId, t.pollId],
      foreignColumns: [pollOptions.id, pollOptions.pollId],
    }).onDelete('cascade'),
    unique('ballots_poll_id_voter_id_key').on(t.pollId, t.voterId),
    index('ballots_option_id_idx').on(t.optionId),
  ],
);
