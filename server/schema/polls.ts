import { and, asc, count, desc, eq, inArray } from 'drizzle-orm';
import { ballots, pollOptions, polls } from '../../db/schema';
import { builder } from '../builder';
import type { Context } from '../context';
import { badInput, forbidden } from '../errors';
import { PER_STUDENT } from '../live/shared-execution';
import { groupBy, loadOrThrow } from '../lookup';
import { parseId, text } from '../validate';
import { Course, requireCourse } from './courses';
import { defineLiveTopic, entityRow, eventOf } from './live-topic';

type PollRow = typeof polls.$inferSelect;

export const PollStatusEnum = builder.enumType('PollStatus', { values: ['OPEN', 'CLOSED'] as const });

/** A poll past its closing time is closed even before anyone closes it. */
export const isOpen = (poll: PollRow, now = new Date()) =>
  poll.status === 'OPEN' && (!poll.closesAt || poll.closesAt > now);

const PollOption = builder
  .objectRef<{ id: string; pollId: string; label: string; position: number; votes: number }>('PollOption')
  .implement({
    fields: (t) => ({
      id: t.exposeID('id'),
      label: t.exposeString('label'),
      votes: t.exposeInt('votes'),
    }),
  });

export const Poll = builder.loadableObject('Poll', {
  load: (ids: string[], ctx) => ctx.db.select().from(polls).where(inArray(polls.id, ids)),
  sort: (p) => p.id,
  authScopes: (p) => ({ courseMember: p.courseId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    question: t.exposeString('question'),
    status: t.field({ type: PollStatusEnum, resolve: (p) => (isOpen(p) ? 'OPEN' : 'CLOSED') }),
    closesAt: t.expose('closesAt', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    course: t.field({ type: Course, resolve: (p) => p.courseId }),
    options: t.loadableGroup({
      type: PollOption,
      description: 'In the order given when the poll was opened, each with its live tally.',
      load: (pollIds: string[], ctx) => tallies(ctx, pollIds),
      group: groupBy('pollId'),
      resolve: (p) => p.id,
    }),
    totalVotes: t.loadable({
      type: 'Int',
      load: async (pollIds: string[], ctx) => {
        const rows = await ctx.db
          .select({ pollId: ballots.pollId, n: count() })
          .from(ballots)
          .where(inArray(ballots.pollId, pollIds))
          .groupBy(ballots.pollId);
        return pollIds.map((id) => rows.find((r) => r.pollId === id)?.n ?? 0);
      },
      resolve: (p) => p.id,
    }),
    myVote: t.loadable({
      type: 'ID',
      nullable: true,
      description: "The id of the caller's chosen option, or null.",
      extensions: PER_STUDENT,
      load: async (pollIds: string[], ctx) => {
        if (!ctx.viewer) return pollIds.map(() => null);
        const rows = await ctx.db
          .select({ pollId: ballots.pollId, optionId: ballots.optionId })
          .from(ballots)
          .where(and(inArray(ballots.pollId, pollIds), eq(ballots.voterId, ctx.viewer.id)));
        return pollIds.map((id) => rows.find((r) => r.pollId === id)?.optionId ?? null);
      },
      resolve: (p) => p.id,
    }),
  }),
});

function tallies(ctx: Context, pollIds: string[]) {
  return ctx.db
    .select({
      id: pollOptions.id,
      pollId: pollOptions.pollId,
      label: pollOptions.label,
      position: pollOptions.position,
      votes: count(ballots.id),
    })
    .from(pollOptions)
    .leftJoin(ballots, eq(ballots.optionId, pollOptions.id))
    .where(inArray(pollOptions.pollId, pollIds))
    .groupBy(pollOptions.id)
    .orderBy(asc(pollOptions.position));
}

builder.objectFields(Course, (t) => ({
  polls: t.loadableGroup({
    type: Poll,
    description: 'Newest first.',
    load: (courseIds: string[], ctx) =>
      ctx.db
        .select()
        .from(polls)
        .where(inArray(polls.courseId, courseIds))
        .orderBy(desc(polls.createdAt), desc(polls.id)),
    group: groupBy('courseId'),
    resolve: (course) => course.id,
  }),
}));

builder.mutationFields((t) => ({
  openPoll: t.field({
    type: Poll,
    args: {
      courseId: t.arg.id({ required: true }),
      question: t.arg.string({ required: true }),
      options: t.arg.stringList({ required: true }),
      closesAt: t.arg({ type: 'DateTime', required: false }),
    },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const course = await requireCourse(ctx, args.courseId, 'staff');
      const question = text(args.question, 'question', { max: 500 });
      const labels = args.options.map((o) => text(o, 'options', { max: 200 }));
      if (labels.length < 2 || labels.length > 20) throw badInput('A poll needs 2 to 20 options', 'options');
      if (new Set(labels.map((l) => l.toLowerCase())).size !== labels.length)
        throw badInput('Options must be different', 'options');
      if (args.closesAt && args.closesAt <= new Date()) throw badInput('closesAt must be in the future', 'closesAt');
      return ctx.db.transaction(async (tx) => {
        const [poll] = await tx
          .insert(polls)
          .values({ courseId: course.id, question, closesAt: args.closesAt ?? null, createdById: ctx.viewer!.id })
          .returning();
        await tx.insert(pollOptions).values(labels.map((label, position) => ({ pollId: poll.id, label, position })));
        return poll;
      });
    },
  }),
  castVote: t.field({
    type: Poll,
    description: "Casts or changes the caller's ballot while the poll is open.",
    args: { pollId: t.arg.id({ required: true }), optionId: t.arg.id({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseMember: (await loadOrThrow(Poll, ctx, args.pollId, 'pollId', 'Poll')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const poll = await loadOrThrow(Poll, ctx, args.pollId, 'pollId', 'Poll');
      if ((await ctx.access.roleIn(poll.courseId)) !== 'STUDENT') throw forbidden('Only students of the course vote');
      if (!isOpen(poll)) throw badInput('This poll is closed', 'pollId');
      const optionId = parseId(args.optionId, 'optionId');
      const [option] = await ctx.db
        .select()
        .from(pollOptions)
        .where(and(eq(pollOptions.id, optionId), eq(pollOptions.pollId, poll.id)));
      if (!option) throw badInput('That option is not part of this poll', 'optionId');
      await ctx.db
        .insert(ballots)
        .values({ pollId: poll.id, courseId: poll.courseId, optionId, voterId: ctx.viewer!.id })
        .onConflictDoUpdate({ target: [ballots.pollId, ballots.voterId], set: { optionId } });
      return poll;
    },
  }),
  closePoll: t.field({
    type: Poll,
    args: { id: t.arg.id({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseStaff: (await loadOrThrow(Poll, ctx, args.id, 'id', 'Poll')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const poll = await loadOrThrow(Poll, ctx, args.id, 'id', 'Poll');
      const [closed] = await ctx.db
        .update(polls)
        .set({ status: 'CLOSED', closedAt: new Date() })
        .where(and(eq(polls.id, poll.id), eq(polls.status, 'OPEN')))
        .returning();
      return closed ?? poll;
    },
  }),
}));

defineLiveTopic({
  field: 'pollChanged',
  type: 'PollEvent',
  description: 'A poll was opened or closed, or a vote changed its tallies.',
  policy: {
    name: 'poll',
    sources: ['poll'],
    audience: 'members',
    narrow: ({ pollId }) => (pollId ? (event) => event.entityId === pollId : null),
  },
  narrowBy: ['pollId'],
  scope: async (args, ctx) => ({
    courseMember: (await loadOrThrow(Poll, ctx, args.pollId!, 'pollId', 'Poll')).courseId,
  }),
  fields: (t) => ({
    poll: t.field({
      type: Poll,
      nullable: true,
      description: 'The poll as it is now, with live tallies.',
      resolve: entityRow(polls),
    }),
    vote: t.boolean({
      description: 'True when a ballot caused this event.',
      resolve: (m) => eventOf(m)?.data.ballot === true,
    }),
  }),
});
