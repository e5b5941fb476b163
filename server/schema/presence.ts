import { Repeater, SlidingBuffer } from 'graphql-yoga';
import { type Access, createAccess } from '../auth/access';
import { builder } from '../builder';
import { mayRead } from '../chat/rules';
import type { Context } from '../context';
import { badInput, forbidden } from '../errors';
import { MEMBERSHIP_TOPIC } from '../live/topic';
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

/**
 * Authorization holds for as long as a subscription lives, not only when it starts (as for the
 * outbox topics): when the viewer's memberships change (unenrolled, no longer teaching), `allowed`
 * is asked again with fresh permissions, and a no calls `end` with FORBIDDEN. Returns the function
 * that stops listening.
 */
function whenNoLongerAllowed(
  ctx: Context,
  allowed: (access: Access) => Promise<boolean>,
  end: (error: Error) => void,
): () => void {
  const routes = [{ topic: MEMBERSHIP_TOPIC, userId: ctx.viewer!.id }];
  const listener = {
    hear() {
      void allowed(createAccess(ctx.db, ctx.viewer)).then(
        (ok) => ok || end(forbidden('You are no longer a member of this course')),
        (error: Error) => end(error),
      );
    },
  };
  ctx.live.hub.listen(routes, listener);
  return () => ctx.live.hub.unlisten(routes, listener);
}

/** The last item of a stream that ends in error: its resolver throws it, so it leaves as the result's error. */
type Ending = { ending: Error };
const isEnding = (item: object): item is Ending => 'ending' in item;
/** Pushes the error as the stream's last result, then ends the stream (the transports then complete it). */
const endWith =
  <T>(push: (item: T | Ending) => Promise<unknown>, stop: () => void) =>
  (error: Error) => {
    void push({ ending: error });
    stop();
  };
function resolved<T extends object>(item: T | Ending): T {
  if (isEnding(item)) throw item.ending;
  return item;
}

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
      return new Repeater<PresenceMessage | Ending>(async (push, stop) => {
        // A hidden session is not shown, but its open conversation still spares a notification.
        const leave = presence.join(courseId, ctx.viewer!.id, {
          where,
          hidden: args.hidden ?? false,
          open: open?.id ?? null,
        });
        // The whole state first, then every change after it: nothing can happen in between.
        void push({ action: 'SNAPSHOT', entry: null, entries: presence.list(courseId) });
        const unwatch = presence.watch(courseId, (diff) => void push({ ...diff, entries: [] }));
        const unlisten = whenNoLongerAllowed(
          ctx,
          async (access) => (await access.roleIn(courseId)) !== null,
          endWith(push, stop),
        );
        await stop;
        unlisten();
        unwatch();
        leave();
      }, buffer());
    },
    resolve: resolved,
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
      return new Repeater<TypingChange | Ending>(async (push, stop) => {
        const unwatch = ctx.ephemeral.typing.watch(conversation.id, (change) => {
          if (change.userId !== viewerId) void push(change);
        });
        const unlisten = whenNoLongerAllowed(
          ctx,
          async (access) => mayRead(conversation, viewerId, await access.roleIn(conversation.courseId)),
          endWith(push, stop),
        );
        await stop;
        unlisten();
        unwatch();
      }, new SlidingBuffer(64));
    },
    resolve: resolved,
  }),
}));
