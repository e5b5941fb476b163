import { sql } from 'drizzle-orm';
import {
  check,
  doublePrecision,
  foreignKey,
  index,
  pgEnum,
  pgTable,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { courses, users } from './people';

export const assessmentKind = pgEnum('assessment_kind', ['EXAM', 'QUIZ', 'ASSIGNMENT', 'MERIT']);

export const assessments = pgTable(
  'assessments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    kind: assessmentKind('kind').notNull(),
    maxScore: doublePrecision('max_score').notNull(),
    weight: doublePrecision('weight').notNull().default(1),
    dueAt: timestamp('due_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Lets grades carry course_id (for routing and authorization) with the database keeping it honest.
    unique('assessments_id_course_id_key').on(t.id, t.courseId),
    index('assessments_course_id_idx').on(t.courseId),
    check('assessments_max_score_check', sql`${t.maxScore} > 0`),
    check('assessments_weight_check', sql`${t.weight} >= 0`),
  ],
);

export const grades = pgTable(
  'grades',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    assessmentId: uuid('assessment_id').notNull(),
    courseId: uuid('course_id').notNull(),
    studentId: uuid('student_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    score: doublePrecision('score').notNull(),
    note: text('note'),
    updatedById: uuid('updated_by_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({
      name: 'grades_assessment_fkey',
      columns: [t.assessmentId, t.courseId],
      foreignColumns: [assessments.id, assessments.courseId],
    }).onDelete('cascade'),
    unique('grades_assessment_id_student_id_key').on(t.assessmentId, t.studentId),
    index('grades_course_id_student_id_idx').on(t.courseId, t.studentId),
    // The upper bound (max_score) lives on assessments and is enforced by tg_grades__check_score.
    check('grades_score_check', sql`${t.score} >= 0`),
  ],
);
