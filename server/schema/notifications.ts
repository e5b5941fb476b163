import { and, count, desc, eq, getColumns, inArray, isNull } from 'drizzle-orm';
import { notifications } from '../../db/schema';
import { builder } from '../builder';
import { notFound } from '../errors';
import { PER_VIEWER } from '../live/shared-execution';
import { before, decodeCursor, micros, pageSize, toConnection } from '../pagination';
import { parseId } from '../validate';
import { defineLiveTopic, entityRow } from './live-topic';
import { PageInfo } from './scalars';

type NotificationRow = typeof notifications.$inferSelect;

export const NotificationKind = builder.enumType('NotificationKind', {
  values: [
    'GRADE_RECORDED',
    'POLL_OPENED',
    'ANNOUNCEMENT',
    'ASSESSMENT_ADDED',
    'SESSION_CHANGED',
    'ENROLLED',
    'DIRECT_MESSAGE',
  ] as const,
});

export const Notification = builder.loadableObject('Notification', {
  load: (ids: string[], ctx) => ctx.db.select().from(notifications).where(inArray(notifications.id, ids)),
  sort: (n) => n.id,
  authScopes: (n) => ({ self: n.userId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: NotificationKind, resolve: (n) => n.kind }),
    message: t.exposeString('message'),
    link: t.exposeString('link', { nullable: true }),
    read: t.boolean({ resolve: (n) => n.readAt !== null }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const NotificationEdge = builder.objectRef<{ cursor: string; node: NotificationRow }>('NotificationEdge').implement({
  fields: (t) => ({ cursor: t.exposeString('cursor'), node: t.field({ type: Notification, resolve: (e) => e.node }) }),
});

const NotificationConnection = builder
  .objectRef<{
    edges: { cursor: string; node: NotificationRow }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    userId: string;
  }>('NotificationConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({ type: [NotificationEdge], resolve: (c) => c.edges }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
      unreadCount: t.int({
        resolve: async (c, _args, ctx) =>
          (
            await ctx.db
              .select({ n: count() })
              .from(notifications)
              .where(and(eq(notifications.userId, c.userId), isNull(notifications.readAt)))
          )[0].n,
      }),
    }),
  });

builder.queryFields((t) => ({
  unreadNotificationCount: t.int({
    description: "How many of the caller's notifications are unread (the bell).",
    extensions: PER_VIEWER,
    authScopes: { signedIn: true },
    resolve: async (_root, _args, ctx) =>
      (
        await ctx.db
          .select({ n: count() })
          .from(notifications)
          .where(and(eq(notifications.userId, ctx.viewer!.id), isNull(notifications.readAt)))
      )[0].n,
  }),
  notifications: t.field({
    type: NotificationConnection,
    description: "The caller's own notifications, newest first.",
    extensions: PER_VIEWER,
    authScopes: { signedIn: true },
    args: {
      first: t.arg.int({ required: false, defaultValue: 20, description: 'Notifications per page: 1 to 100.' }),
      after: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const userId = ctx.viewer!.id;
      const limit = pageSize(args.first);
      const after = args.after ? decodeCursor(args.after) : null;
      const rows = await ctx.db
        .select({ ...getColumns(notifications), cursorMicros: micros(notifications.createdAt) })
        .from(notifications)
        .where(
          and(
            eq(notifications.userId, userId),
            after ? before(notifications.createdAt, notifications.id, after) : undefined,
          ),
        )
        .orderBy(desc(notifications.createdAt), desc(notifications.id))
        .limit(limit + 1);
      return { ...toConnection(rows, limit), userId };
    },
  }),
}));

builder.mutationFields((t) => ({
  markNotificationRead: t.field({
    type: Notification,
    args: {
      id: t.arg.id({ required: true }),
      read: t.arg.boolean({ required: false, defaultValue: true, description: 'false marks it unread again.' }),
    },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const id = parseId(args.id);
      // Someone else's notification is reported as missing, not forbidden: ids are not to be probed.
      const [row] = await ctx.db
        .update(notifications)
        .set({ readAt: args.read === false ? null : new Date() })
        .where(and(eq(notifications.id, id), eq(notifications.userId, ctx.viewer!.id)))
        .returning();
      if (!row) throw notFound('Notification');
      return row;
    },
  }),
  markAllNotificationsRead: t.int({
    description: 'Marks every unread notification of the caller read; returns how many changed.',
    authScopes: { signedIn: true },
    resolve: async (_root, _args, ctx) => {
      const rows = await ctx.db
        .update(notifications)
        .set({ readAt: new Date() })
        .where(and(eq(notifications.userId, ctx.viewer!.id), isNull(notifications.readAt)))
        .returning({ id: notifications.id });
      return rows.length;
    },
  }),
}));

defineLiveTopic({
  field: 'notificationReceived',
  type: 'NotificationEvent',
  description: 'A notification of yours was created or changed.',
  policy: { name: 'notification', sources: ['notification'], audience: 'recipient' },
  fields: (t) => ({
    notification: t.field({
      type: Notification,
      nullable: true,
      resolve: entityRow(notifications),
    }),
  }),
});
