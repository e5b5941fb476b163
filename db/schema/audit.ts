import { bigint, doublePrecision, index, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { courses, users } from './people';

/**
 * Every change of a grade, written by a trigger (tg_grades__history) so no write path can skip it.
 * No foreign keys to grades or assessments: the history outlives them (a deleted grade keeps its
 * trail); course and student ids are kept for authorization.
 */
export const gradeHistory = pgTable(
  'grade_history',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    gradeId: uuid('grade_id').notNull(),
    courseId: uuid('course_id').notNull(),
    assessmentId: uuid('assessment_id').notNull(),
    studentId: uuid('student_id').notNull(),
    /** CREATED, UPDATED or DELETED. */
    action: text('action').notNull(),
    oldScore: doublePrecision('old_score'),
    newScore: doublePrecision('new_score'),
    oldNote: text('old_note'),
    newNote: text('new_note'),
    changedById: uuid('changed_by_id').references(() => users.id, { onDelete: 'set null' }),
    changedAt: timestamp('changed_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('grade_history_assessment_id_student_id_idx').on(t.assessmentId, t.studentId, t.id)],
);

/** Privileged changes (accounts, sessions, enrolments, teaching): who did what to whom, when. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'bigint' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    actorId: uuid('actor_id').references(() => users.id, { onDelete: 'set null' }),
    action: text('action').notNull(),
    targetUserId: uuid('target_user_id').references(() => users.id, { onDelete: 'set null' }),
    courseId: uuid('course_id').references(() => courses.id, { onDelete: 'set null' }),
    /** What changed, e.g. { from: 'STUDENT', to: 'INSTRUCTOR' }; never secrets. */
    details: jsonb('details').notNull().default({}),
  },
  (t) => [
    index('audit_log_target_user_id_idx').on(t.targetUserId, t.id),
    index('audit_log_actor_id_idx').on(t.actorId, t.id),
  ],
);
