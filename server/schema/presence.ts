import { Repeater, SlidingBuffer } from 'graphql-yoga';
import { builder } from '../builder';
import { badInput } from '../errors';
import type { PresenceEntry as Entry } from '../presence/presence';
import type { TypingChange } from '../presence/typing';
import { parseId, text } from '../validate';
import { requireConversation } from './chat';
import { User } from './users';

/**
 * Presence and typing: ephemeral, never in the outbox or Postgres (server/presence). They have no
 * cursor and no replay: a (re)subscription starts with the whole state.
 */

const PresenceEntry = builder.objectRef<Entry>('PresenceEntry').implement({
  fields: (t) => ({
    user: t.field({ type: User, resolve: (e) => e.userId }),
    where: t.exposeString('where', {
      nullable: true,
      description: 'Where in the course they are (a tab or conversation, as their client said).',
    }),
    since: t.expose('since', { type: 'DateTime' }),
  }),
});

const PresenceAction = builder.enumType('PresenceAction', {
  description: 'SNAPSHOT: the whole state (first message of every subscription); then the changes.',
  values: ['SNAPSHOT', 'JOINED', 'LEFT', 'MOVED'] as const,
});

type PresenceMessage = { action: 'SNAPSHOT' | 'JOINED' | 'LEFT' | 'MOVED'; entry: Entry | null; entries: Entry[] };

const PresenceEvent = builder.objectRef<PresenceMessage>('PresenceEvent').implement({
  fields: (t) => ({
    action: t.field({ type: PresenceAction, resolve: (m) => m.action }),
    entry: t.field({
      type: PresenceEntry,
      nullable: true,
      description: 'Who joined, left or moved.',
      resolve: (m) => m.entry,
    }),
    entries: t.field({
      type: [PresenceEntry],
      description: 'SNAPSHOT: everyone present; empty otherwise.',
      resolve: (m) => m.entries,
    }),
  }),
});

const TypingEvent = builder.objectRef<TypingChange>('TypingEvent').implement({
  fields: (t) => ({
    conversationId: t.exposeID('conversationId'),
    user: t.field({ type: User, resolve: (c) => c.userId }),
    typing: t.exposeBoolean('typing', { description: 'False when they stopped (sent, or 5 s without typing).' }),
  }),
});

/** A bounded queue: a consumer that stops reading loses the oldest presence news, never the process. */
const buffer = () => new SlidingBuffer(256);

builder.queryFields((t) => ({
  presence: t.field({
    type: [PresenceEntry],
    description: 'Who is online in the course now (across every instance), and where.',
    args: { courseId: t.arg.id({ required: true }) },
    authScopes: (_root, args) => ({ courseMember: parseId(args.courseId, 'courseId') }),
    resolve: (_root, args, ctx) => ctx.ephemeral.presence.list(parseId(args.courseId, 'courseId')),
  }),
}));

builder.mutationFields((t) => ({
  setTyping: t.field({
    type: 'Boolean',
    description: 'You are typing in this conversation: the others see it for 5 s (call again to extend).',
    args: { conversationId: t.arg.id({ required: true }) },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const conversation = await requireConversation(ctx, args.conversationId, 'write');
      ctx.ephemeral.typing.typed(conversation.id, ctx.viewer!.id);
      return true;
    },
  }),
}));

builder.subscriptionFields((t) => ({
  presenceChanged: t.field({
    type: PresenceEvent,
    description:
      'While subscribed you are present in the course (at `where`, unless `hidden`); first the whole state, then joins, leaves and moves. A closed subscription leaves after PRESENCE_LEAVE_GRACE_MS (1 s), so a resubscribing tab does not flicker.',
    args: {
      courseId: t.arg.id({ required: true }),
      where: t.arg.string({ required: false }),
      hidden: t.arg.boolean({ required: false }),
      conversationId: t.arg.id({
        required: false,
        description:
          'The conversation open in this tab, if any: its direct messages then notify you no more (never shown to others).',
      }),
    },
    authScopes: (_root, args) => ({ courseMember: parseId(args.courseId, 'courseId') }),
    subscribe: async (_root, args, ctx) => {
      const courseId = parseId(args.courseId, 'courseId');
      const where = args.where == null ? null : text(args.where, 'where', { max: 100 });
      const open = args.conversationId ? await requireConversation(ctx, args.conversationId) : null;
      if (open && open.courseId !== courseId)
        throw badInput('That conversation is not in this course', 'conversationId');
      const { presence } = ctx.ephemeral;
      return new Repeater<PresenceMessage>(async (push, stop) => {
        // A hidden session is not shown, but its open conversation still spares a notification.
        const leave = presence.join(courseId, ctx.viewer!.id, {
          where,
          hidden: args.hidden ?? false,
          open: open?.id ?? null,
        });
        // The whole state first, then every change after it: nothing can happen in between.
        void push({ action: 'SNAPSHOT', entry: null, entries: presence.list(courseId) });
        const unwatch = presence.watch(courseId, (diff) => void push({ ...diff, entries: [] }));
        await stop;
        unwatch();
        leave();
      }, buffer());
    },
    resolve: (message) => message,
  }),
  typingChanged: t.field({
    type: TypingEvent,
    description: 'Others start or stop typing in the conversation (never your own).',
    args: { conversationId: t.arg.id({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseMember: (await requireConversation(ctx, args.conversationId)).courseId,
    }),
    subscribe: async (_root, args, ctx) => {
      const conversation = await requireConversation(ctx, args.conversationId);
      const viewerId = ctx.viewer!.id;
      return new Repeater<TypingChange>(async (push, stop) => {
        const unwatch = ctx.ephemeral.typing.watch(conversation.id, (change) => {
          if (change.userId !== viewerId) void push(change);
        });
        await stop;
        unwatch();
      }, new SlidingBuffer(64));
    },
    resolve: (change) => change,
  }),
}));
