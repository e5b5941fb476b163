import { index, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { courses, users } from './people';

export const notificationKind = pgEnum('notification_kind', [
  'GRADE_RECORDED',
  'POLL_OPENED',
  'ANNOUNCEMENT',
  'ASSESSMENT_ADDED',
  'SESSION_CHANGED',
  'ENROLLED',
  'DIRECT_MESSAGE',
]);

export const notifications = pgTable(
  'notifications',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    courseId: uuid('course_id').references(() => courses.id, { onDelete: 'cascade' }),
    kind: notificationKind('kind').notNull(),
    message: text('message').notNull(),
    link: text('link'),
    readAt: timestamp('read_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('notifications_user_id_created_at_idx').on(t.userId, t.createdAt.desc(), t.id.desc())],
);
