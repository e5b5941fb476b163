import { eq } from 'drizzle-orm';
import { attendanceRecords, notifications, polls } from '../../db/schema';
import { builder } from '../builder';
import type { Context } from '../context';
import { unauthenticated } from '../errors';
import type { LiveEvent, Topic } from '../live/event';
import { memo } from '../live/memo';
import type { LiveMessage } from '../live/stream';
import { loadOrThrow } from '../lookup';
import { parseId } from '../validate';
import { AttendanceRecord, AttendanceTotals, loadAttendanceTotals } from './attendance';
import { requireCourse } from './courses';
import { Grade, loadGradeWithRelations, loadStandings, Standing } from './grades';
import { Notification } from './notifications';
import { Poll } from './polls';
import { studentKey } from './student-keys';

type Message = Exclude<LiveMessage, { kind: 'error' }>;
type EventMessage = Extract<LiveMessage, { kind: 'event' }>;

const LiveAction = builder.enumType('LiveAction', {
  description:
    'What happened. RESYNC: the `after` cursor is older than the outbox keeps; refetch, then continue from this cursor.',
  values: ['CREATED', 'UPDATED', 'DELETED', 'RESYNC'] as const,
});

const eventOf = (m: Message): LiveEvent | null => (m.kind === 'event' ? m.event : null);

/** The fields every live event has, and the helper to read its entity once per event. */
function liveEventType(name: string, description: string) {
  return builder.objectRef<Message>(name).implement({
    description,
    fields: (t) => ({
      cursor: t.string({
        description: 'Pass as `after` to resume right after this event.',
        resolve: (m) => (m.kind === 'event' ? m.event.cursor : m.cursor),
      }),
      action: t.field({ type: LiveAction, resolve: (m) => (m.kind === 'event' ? m.event.action : 'RESYNC') }),
      occurredAt: t.field({
        type: 'DateTime',
        resolve: (m) => (m.kind === 'event' ? m.event.occurredAt : m.occurredAt),
      }),
    }),
  });
}

const row = <T>(_ctx: Context, event: LiveEvent, load: () => Promise<T[]>) =>
  memo(event, 'row', () => load().then((rows) => rows[0] ?? null));

export const GradeEvent = liveEventType(
  'GradeEvent',
  "A grade was recorded, changed or deleted, with the student's new standing.",
);
builder.objectFields(GradeEvent, (t) => ({
  grade: t.field({
    type: Grade,
    nullable: true,
    description: 'Null only for RESYNC (or when the grade was deleted again before delivery).',
    resolve: async (m, _args, ctx) => {
      const e = eventOf(m);
      if (!e) return null;
      if (e.action === 'DELETED') {
        const d = e.data as { assessmentId: string; studentId: string; score: number; updatedAt: string };
        const at = new Date(d.updatedAt ?? e.occurredAt);
        return {
          id: e.entityId,
          assessmentId: d.assessmentId,
          courseId: e.courseId!,
          studentId: d.studentId,
          score: d.score,
          note: null,
          updatedById: null,
          createdAt: at,
          updatedAt: at,
        };
      }
      return memo(e, 'row', () => loadGradeWithRelations(ctx.db, e.entityId));
    },
  }),
  standing: t.field({
    type: Standing,
    nullable: true,
    resolve: async (m, _args, ctx) => {
      const e = eventOf(m);
      if (!e?.courseId || !e.audienceUserId) return null;
      const key = studentKey(e.courseId, e.audienceUserId);
      return memo(e, 'standing', async () => (await loadStandings(ctx.db, [key]))[0]);
    },
  }),
}));

export const AttendanceEvent = liveEventType(
  'AttendanceEvent',
  "An attendance record was created or changed, with the student's new totals.",
);
builder.objectFields(AttendanceEvent, (t) => ({
  record: t.field({
    type: AttendanceRecord,
    nullable: true,
    resolve: (m, _args, ctx) => {
      const e = eventOf(m);
      return e
        ? row(ctx, e, () => ctx.db.select().from(attendanceRecords).where(eq(attendanceRecords.id, e.entityId)))
        : null;
    },
  }),
  totals: t.field({
    type: AttendanceTotals,
    nullable: true,
    resolve: async (m, _args, ctx) => {
      const e = eventOf(m);
      if (!e?.courseId || !e.audienceUserId) return null;
      const key = studentKey(e.courseId, e.audienceUserId);
      return memo(e, 'totals', async () => (await loadAttendanceTotals(ctx.db, [key]))[0]);
    },
  }),
}));

export const PollEvent = liveEventType('PollEvent', 'A poll was opened or closed, or a vote changed its tallies.');
builder.objectFields(PollEvent, (t) => ({
  poll: t.field({
    type: Poll,
    nullable: true,
    description: 'The poll as it is now, with live tallies.',
    resolve: (m, _args, ctx) => {
      const e = eventOf(m);
      return e ? row(ctx, e, () => ctx.db.select().from(polls).where(eq(polls.id, e.entityId))) : null;
    },
  }),
  vote: t.boolean({
    description: 'True when a ballot caused this event.',
    resolve: (m) => eventOf(m)?.data.ballot === true,
  }),
}));

const countWhere = (batch: LiveEvent[], kind: string) =>
  batch.filter((e) => e.action === 'CREATED' && e.data.kind === kind).length;
const latestId = (batch: LiveEvent[], kind: string) =>
  batch.filter((e) => e.action === 'CREATED' && e.data.kind === kind).at(-1)?.entityId ?? null;

export const ContentAvailableEvent = liveEventType(
  'ContentAvailableEvent',
  'New content in a course feed: counts and ids, not the content. Bursts arrive as one event.',
);
builder.objectFields(ContentAvailableEvent, (t) => ({
  courseId: t.id({ nullable: true, resolve: (m) => eventOf(m)?.courseId ?? null }),
  newPosts: t.int({ resolve: (m) => (m.kind === 'event' ? countWhere(m.batch, 'post') : 0) }),
  newComments: t.int({ resolve: (m) => (m.kind === 'event' ? countWhere(m.batch, 'comment') : 0) }),
  changes: t.int({
    description: 'Every change coalesced into this event, including edits and deletions.',
    resolve: (m) => (m.kind === 'event' ? m.batch.length : 0),
  }),
  latestPostId: t.id({ nullable: true, resolve: (m) => (m.kind === 'event' ? latestId(m.batch, 'post') : null) }),
  latestCommentId: t.id({ nullable: true, resolve: (m) => (m.kind === 'event' ? latestId(m.batch, 'comment') : null) }),
  postIds: t.idList({
    description: 'Posts that changed or gained comments.',
    resolve: (m) => (m.kind === 'event' ? [...new Set(m.batch.map((e) => String(e.data.postId)))] : []),
  }),
}));

export const NotificationEvent = liveEventType('NotificationEvent', 'A notification of yours was created or changed.');
builder.objectFields(NotificationEvent, (t) => ({
  notification: t.field({
    type: Notification,
    nullable: true,
    resolve: (m, _args, ctx) => {
      const e = eventOf(m);
      return e ? row(ctx, e, () => ctx.db.select().from(notifications).where(eq(notifications.id, e.entityId))) : null;
    },
  }),
}));

const typeByTopic: Partial<Record<Topic, string>> = {
  grade: 'GradeEvent',
  attendance: 'AttendanceEvent',
  poll: 'PollEvent',
  content: 'ContentAvailableEvent',
  notification: 'NotificationEvent',
};

const LiveUpdate = builder.unionType('LiveUpdate', {
  types: [GradeEvent, AttendanceEvent, PollEvent, ContentAvailableEvent, NotificationEvent],
  resolveType: (m) => typeByTopic[(m as EventMessage).event.topic]!,
});

const UpdatesPage = builder
  .objectRef<{ messages: LiveMessage[]; cursor: string; hasMore: boolean; resyncRequired: boolean }>('UpdatesPage')
  .implement({
    fields: (t) => ({
      events: t.field({
        type: [LiveUpdate],
        resolve: (p) => p.messages.filter((m): m is EventMessage => m.kind === 'event'),
      }),
      cursor: t.exposeString('cursor', { description: 'Ask again with this as `after`.' }),
      hasMore: t.exposeBoolean('hasMore', { description: 'More events are waiting: ask again at once.' }),
      resyncRequired: t.exposeBoolean('resyncRequired', {
        description: '`after` is older than the outbox keeps: refetch your data, then continue from `cursor`.',
      }),
    }),
  });

builder.queryFields((t) => ({
  liveCursor: t.string({
    description:
      'The newest cursor you could see now. Read it with your data, then subscribe with `after` set to it: nothing committed in between is missed.',
    authScopes: { signedIn: true },
    resolve: (_root, _args, ctx) => ctx.live.liveCursor(),
  }),
  updates: t.field({
    type: UpdatesPage,
    description: 'Polling fallback: the same events as the subscriptions (same rules), after a cursor.',
    authScopes: { signedIn: true },
    args: {
      after: t.arg.string({ required: true }),
      courseId: t.arg.id({ required: false }),
      first: t.arg.int({ required: false, defaultValue: 200 }),
    },
    resolve: async (_root, args, ctx) => {
      const courseId = args.courseId ? (await requireCourse(ctx, args.courseId)).id : null;
      const limit = Math.min(Math.max(args.first ?? 200, 1), 1000);
      return ctx.live.updates({ viewer: ctx.viewer!, after: args.after, courseId, limit });
    },
  }),
}));

/** Subscribe-time scope: a course argument needs membership (checked again on every event). */
function courseScope(courseId: string | null | undefined) {
  return courseId ? { courseMember: parseId(courseId, 'courseId') } : { signedIn: true };
}

function subscribeTo(
  ctx: Context,
  topics: Topic[],
  args: { after?: string | null; courseId?: string | null; pollId?: string | null },
) {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.live.stream({
    viewer: ctx.viewer,
    topics,
    after: args.after,
    courseId: args.courseId ? parseId(args.courseId, 'courseId') : null,
    pollId: args.pollId ? parseId(args.pollId, 'pollId') : null,
    access: ctx.access,
    onOverflow: ctx.closeSlowSocket,
    endsAt: ctx.tokenExpiresAt,
  });
}

/** The last message of a stream that fell behind is an error; everything else is an event. */
function deliver(message: LiveMessage): Message {
  if (message.kind === 'error') throw message.error;
  return message;
}

const AFTER = 'Replay every event after this cursor first, then continue live.';

builder.subscriptionType({});
builder.subscriptionFields((t) => ({
  gradeChanged: t.field({
    type: GradeEvent,
    args: { courseId: t.arg.id({ required: false }), after: t.arg.string({ required: false, description: AFTER }) },
    authScopes: (_root, args) => courseScope(args.courseId),
    subscribe: (_root, args, ctx) => subscribeTo(ctx, ['grade'], args),
    resolve: deliver,
  }),
  attendanceChanged: t.field({
    type: AttendanceEvent,
    args: { courseId: t.arg.id({ required: false }), after: t.arg.string({ required: false, description: AFTER }) },
    authScopes: (_root, args) => courseScope(args.courseId),
    subscribe: (_root, args, ctx) => subscribeTo(ctx, ['attendance'], args),
    resolve: deliver,
  }),
  pollChanged: t.field({
    type: PollEvent,
    args: {
      courseId: t.arg.id({ required: false }),
      pollId: t.arg.id({ required: false }),
      after: t.arg.string({ required: false, description: AFTER }),
    },
    authScopes: async (_root, args, ctx) =>
      args.pollId
        ? { courseMember: (await loadOrThrow(Poll, ctx, args.pollId, 'pollId', 'Poll')).courseId }
        : courseScope(args.courseId),
    subscribe: (_root, args, ctx) => subscribeTo(ctx, ['poll'], args),
    resolve: deliver,
  }),
  contentAvailable: t.field({
    type: ContentAvailableEvent,
    args: { courseId: t.arg.id({ required: false }), after: t.arg.string({ required: false, description: AFTER }) },
    authScopes: (_root, args) => courseScope(args.courseId),
    subscribe: (_root, args, ctx) => subscribeTo(ctx, ['content'], args),
    resolve: deliver,
  }),
  notificationReceived: t.field({
    type: NotificationEvent,
    args: { after: t.arg.string({ required: false, description: AFTER }) },
    authScopes: { signedIn: true },
    subscribe: (_root, args, ctx) => subscribeTo(ctx, ['notification'], args),
    resolve: deliver,
  }),
}));
