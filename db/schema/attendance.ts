import { foreignKey, index, pgEnum, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { courses, users } from './people';

export const attendanceStatus = pgEnum('attendance_status', ['PRESENT', 'LATE', 'ABSENT', 'EXCUSED']);

export const classSessions = pgTable(
  'class_sessions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    startsAt: timestamp('starts_at', { withTimezone: true }).notNull(),
    /** Cancelled sessions stay (with their records) but do not count towards attendance totals. */
    cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('class_sessions_id_course_id_key').on(t.id, t.courseId),
    index('class_sessions_course_id_starts_at_idx').on(t.courseId, t.startsAt),
  ],
);

export const attendanceRecords = pgTable(
  'attendance_records',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sessionId: uuid('session_id').notNull(),
    courseId: uuid('course_id').notNull(),
    studentId: uuid('student_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: attendanceStatus('status').notNull(),
    checkedInAt: timestamp('checked_in_at', { withTimezone: true }),
    checkedOutAt: timestamp('checked_out_at', { withTimezone: true }),
    updatedById: uuid('updated_by_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({
      name: 'attendance_records_session_fkey',
      columns: [t.sessionId, t.courseId],
      foreignColumns: [classSessions.id, classSessions.courseId],
    }).onDelete('cascade'),
    unique('attendance_records_session_id_student_id_key').on(t.sessionId, t.studentId),
    index('attendance_records_course_id_student_id_idx').on(t.courseId, t.studentId),
  ],
);
