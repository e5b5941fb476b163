import { sql } from 'drizzle-orm';
import { boolean, check, foreignKey, index, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { courses, users } from './people';

export const posts = pgTable(
  'posts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    courseId: uuid('course_id')
      .notNull()
      .references(() => courses.id, { onDelete: 'cascade' }),
    authorId: uuid('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    announcement: boolean('announcement').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('posts_id_course_id_key').on(t.id, t.courseId),
    index('posts_course_id_created_at_idx').on(t.courseId, t.createdAt),
    check('posts_body_check', sql`length(${t.body}) between 1 and 10000`),
  ],
);

export const comments = pgTable(
  'comments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    postId: uuid('post_id').notNull(),
    courseId: uuid('course_id').notNull(),
    authorId: uuid('author_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    body: text('body').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    foreignKey({
      name: 'comments_post_fkey',
      columns: [t.postId, t.courseId],
      foreignColumns: [posts.id, posts.courseId],
    }).onDelete('cascade'),
    index('comments_post_id_created_at_idx').on(t.postId, t.createdAt),
    check('comments_body_check', sql`length(${t.body}) between 1 and 5000`),
  ],
);
