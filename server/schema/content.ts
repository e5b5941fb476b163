import { and, asc, count, desc, eq, getColumns, inArray } from 'drizzle-orm';
import { comments, posts } from '../../db/schema';
import { builder } from '../builder';
import type { Context } from '../context';
import { forbidden, notFound } from '../errors';
import type { LiveEvent } from '../live/event';
import { groupBy, loadOrThrow } from '../lookup';
import { before, decodeCursor, micros, pageSize, toConnection } from '../pagination';
import { text } from '../validate';
import { Course, requireCourse } from './courses';
import { defineLiveTopic, eventOf } from './live-topic';
import { PageInfo } from './scalars';
import { User } from './users';

type PostRow = typeof posts.$inferSelect;

export const Post = builder.loadableObject('Post', {
  load: (ids: string[], ctx) => ctx.db.select().from(posts).where(inArray(posts.id, ids)),
  sort: (p) => p.id,
  authScopes: (p) => ({ courseMember: p.courseId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    body: t.exposeString('body'),
    announcement: t.exposeBoolean('announcement'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    author: t.field({ type: User, resolve: (p) => p.authorId }),
    course: t.field({ type: Course, resolve: (p) => p.courseId }),
  }),
});

export const Comment = builder.loadableObject('Comment', {
  load: (ids: string[], ctx) => ctx.db.select().from(comments).where(inArray(comments.id, ids)),
  sort: (c) => c.id,
  authScopes: (c) => ({ courseMember: c.courseId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    body: t.exposeString('body'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    author: t.field({ type: User, resolve: (c) => c.authorId }),
    post: t.field({ type: Post, resolve: (c) => c.postId }),
  }),
});

builder.objectFields(Post, (t) => ({
  comments: t.loadableGroup({
    type: Comment,
    description: 'Oldest first.',
    load: (postIds: string[], ctx) =>
      ctx.db
        .select()
        .from(comments)
        .where(inArray(comments.postId, postIds))
        .orderBy(asc(comments.createdAt), asc(comments.id)),
    group: groupBy('postId'),
    resolve: (p) => p.id,
  }),
  commentCount: t.loadable({
    type: 'Int',
    load: async (postIds: string[], ctx) => {
      const rows = await ctx.db
        .select({ postId: comments.postId, n: count() })
        .from(comments)
        .where(inArray(comments.postId, postIds))
        .groupBy(comments.postId);
      return postIds.map((id) => rows.find((r) => r.postId === id)?.n ?? 0);
    },
    resolve: (p) => p.id,
  }),
}));

const PostEdge = builder.objectRef<{ cursor: string; node: PostRow }>('PostEdge').implement({
  fields: (t) => ({ cursor: t.exposeString('cursor'), node: t.field({ type: Post, resolve: (e) => e.node }) }),
});

const PostConnection = builder
  .objectRef<{
    edges: { cursor: string; node: PostRow }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    courseId: string;
  }>('PostConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [PostEdge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
      totalCount: t.int({
        resolve: async (c, _args, ctx) =>
          (await ctx.db.select({ n: count() }).from(posts).where(eq(posts.courseId, c.courseId)))[0].n,
      }),
    }),
  });

builder.objectFields(Course, (t) => ({
  posts: t.field({
    type: PostConnection,
    description: 'The course feed, newest first.',
    args: {
      first: t.arg.int({ required: false, defaultValue: 20, description: 'Posts per page: 1 to 100.' }),
      after: t.arg.string({ required: false }),
    },
    resolve: async (course, args, ctx) => {
      const limit = pageSize(args.first);
      const after = args.after ? decodeCursor(args.after) : null;
      const rows = await ctx.db
        .select({ ...getColumns(posts), cursorMicros: micros(posts.createdAt) })
        .from(posts)
        .where(and(eq(posts.courseId, course.id), after ? before(posts.createdAt, posts.id, after) : undefined))
        .orderBy(desc(posts.createdAt), desc(posts.id))
        .limit(limit + 1);
      return { ...toConnection(rows, limit), courseId: course.id };
    },
  }),
}));

builder.mutationFields((t) => ({
  createPost: t.field({
    type: Post,
    description: 'Posts to a course feed; only staff may post announcements.',
    args: {
      courseId: t.arg.id({ required: true }),
      body: t.arg.string({ required: true }),
      announcement: t.arg.boolean({ required: false }),
    },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const course = await requireCourse(ctx, args.courseId);
      if (args.announcement && !(await ctx.access.isStaff(course.id)))
        throw forbidden('Only instructors post announcements');
      const [post] = await ctx.db
        .insert(posts)
        .values({
          courseId: course.id,
          authorId: ctx.viewer!.id,
          body: text(args.body, 'body', { max: 10_000 }),
          announcement: args.announcement ?? false,
        })
        .returning();
      return post;
    },
  }),
  createComment: t.field({
    type: Comment,
    args: { postId: t.arg.id({ required: true }), body: t.arg.string({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseMember: (await loadOrThrow(Post, ctx, args.postId, 'postId', 'Post')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const post = await loadOrThrow(Post, ctx, args.postId, 'postId', 'Post');
      const [comment] = await ctx.db
        .insert(comments)
        .values({
          postId: post.id,
          courseId: post.courseId,
          authorId: ctx.viewer!.id,
          body: text(args.body, 'body', { max: 5000 }),
        })
        .returning();
      return comment;
    },
  }),
}));

const created = (batch: LiveEvent[], kind: string) =>
  batch.filter((e) => e.action === 'CREATED' && e.data.kind === kind);

const ofAction = (batch: LiveEvent[], kind: string, action: LiveEvent['action']) => [
  ...new Set(batch.filter((e) => e.action === action && e.data.kind === kind).map((e) => e.entityId)),
];

defineLiveTopic({
  field: 'contentAvailable',
  type: 'ContentAvailableEvent',
  description: 'New content in a course feed: counts and ids, not the content. Bursts arrive as one event.',
  policy: {
    name: 'content',
    sources: ['content'],
    audience: 'members',
    coalesceMs: (windows) => windows.contentCoalesceMs,
  },
  fields: (t) => ({
    courseId: t.id({ nullable: true, resolve: (m) => eventOf(m)?.courseId ?? null }),
    newPosts: t.int({ resolve: (m) => (m.kind === 'event' ? created(m.batch, 'post').length : 0) }),
    newComments: t.int({ resolve: (m) => (m.kind === 'event' ? created(m.batch, 'comment').length : 0) }),
    changes: t.int({
      description: 'Every change coalesced into this event, including edits and deletions.',
      resolve: (m) => (m.kind === 'event' ? m.batch.length : 0),
    }),
    latestPostId: t.id({
      nullable: true,
      resolve: (m) => (m.kind === 'event' ? (created(m.batch, 'post').at(-1)?.entityId ?? null) : null),
    }),
    latestCommentId: t.id({
      nullable: true,
      resolve: (m) => (m.kind === 'event' ? (created(m.batch, 'comment').at(-1)?.entityId ?? null) : null),
    }),
    deletedPostIds: t.idList({
      description: 'Posts deleted in this burst (drop them, with their comments).',
      resolve: (m) => (m.kind === 'event' ? ofAction(m.batch, 'post', 'DELETED') : []),
    }),
    deletedCommentIds: t.idList({
      description: 'Comments deleted in this burst.',
      resolve: (m) => (m.kind === 'event' ? ofAction(m.batch, 'comment', 'DELETED') : []),
    }),
    editedPostIds: t.idList({
      description: 'Posts whose text changed in this burst (refetch them).',
      resolve: (m) => (m.kind === 'event' ? ofAction(m.batch, 'post', 'UPDATED') : []),
    }),
    postIds: t.idList({
      description: 'Posts that changed or gained comments.',
      resolve: (m) => (m.kind === 'event' ? [...new Set(m.batch.map((e) => String(e.data.postId)))] : []),
    }),
  }),
});

/** Only its author changes what a post or comment says. */
function requireAuthor(ctx: Context, row: { authorId: string }) {
  if (row.authorId !== ctx.viewer?.id) throw forbidden('Only the author can edit this');
}

/** Its author, the course's instructors and admins may remove a post or comment (moderation). */
async function requireAuthorOrStaff(ctx: Context, row: { authorId: string; courseId: string }) {
  if (row.authorId !== ctx.viewer?.id && !(await ctx.access.isStaff(row.courseId)))
    throw forbidden('Only the author or the course instructors can delete this');
}

builder.mutationFields((t) => ({
  updatePost: t.field({
    type: Post,
    description: 'Its author edits a post; contentAvailable tells the course.',
    args: { id: t.arg.id({ required: true }), body: t.arg.string({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseMember: (await loadOrThrow(Post, ctx, args.id, 'id', 'Post')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const post = await loadOrThrow(Post, ctx, args.id, 'id', 'Post');
      requireAuthor(ctx, post);
      const [row] = await ctx.db
        .update(posts)
        .set({ body: text(args.body, 'body', { max: 10_000 }) })
        .where(eq(posts.id, post.id))
        .returning();
      if (!row) throw notFound('Post');
      return row;
    },
  }),
  deletePost: t.field({
    type: Post,
    description: 'Its author, or an instructor of the course, deletes a post and its comments.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseMember: (await loadOrThrow(Post, ctx, args.id, 'id', 'Post')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const post = await loadOrThrow(Post, ctx, args.id, 'id', 'Post');
      await requireAuthorOrStaff(ctx, post);
      const [row] = await ctx.db.delete(posts).where(eq(posts.id, post.id)).returning();
      if (!row) throw notFound('Post');
      return row;
    },
  }),
  updateComment: t.field({
    type: Comment,
    description: 'Its author edits a comment.',
    args: { id: t.arg.id({ required: true }), body: t.arg.string({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseMember: (await loadOrThrow(Comment, ctx, args.id, 'id', 'Comment')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const comment = await loadOrThrow(Comment, ctx, args.id, 'id', 'Comment');
      requireAuthor(ctx, comment);
      const [row] = await ctx.db
        .update(comments)
        .set({ body: text(args.body, 'body', { max: 5000 }) })
        .where(eq(comments.id, comment.id))
        .returning();
      if (!row) throw notFound('Comment');
      return row;
    },
  }),
  deleteComment: t.field({
    type: Comment,
    description: 'Its author, or an instructor of the course, deletes a comment.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseMember: (await loadOrThrow(Comment, ctx, args.id, 'id', 'Comment')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const comment = await loadOrThrow(Comment, ctx, args.id, 'id', 'Comment');
      await requireAuthorOrStaff(ctx, comment);
      const [row] = await ctx.db.delete(comments).where(eq(comments.id, comment.id)).returning();
      if (!row) throw notFound('Comment');
      return row;
    },
  }),
}));
