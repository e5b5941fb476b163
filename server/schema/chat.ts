import { and, asc, count, desc, eq, gt, inArray, lt, ne, sql } from 'drizzle-orm';
import {
  conversationParticipants,
  conversationReads,
  conversations,
  messages,
  notifications,
  users,
} from '../../db/schema';
import { builder } from '../builder';
import { mayDelete, mayRead, mayTalkDirectly, mayWrite, pairKey } from '../chat/rules';
import type { Context } from '../context';
import { badInput, forbidden, notFound } from '../errors';
import { PER_VIEWER } from '../live/shared-execution';
import { loadOrThrow } from '../lookup';
import { parseId, text } from '../validate';
import { Course, requireCourse } from './courses';
import { defineLiveTopic, entityRow, eventOf } from './live-topic';
import { User } from './users';

/** A conversation with its participants' ids (empty for a channel: every member takes part). */
type ConversationRow = typeof conversations.$inferSelect & { participants: string[] };
type MessageRow = typeof messages.$inferSelect;

export const MESSAGE_MAX_LENGTH = 4000;

const ConversationKindEnum = builder.enumType('ConversationKind', {
  description: 'CHANNEL: the whole course. DIRECT: a student and staff, or staff only (never two students).',
  values: ['CHANNEL', 'DIRECT'] as const,
});

const withParticipants = {
  id: conversations.id,
  courseId: conversations.courseId,
  kind: conversations.kind,
  pairKey: conversations.pairKey,
  createdAt: conversations.createdAt,
  participants: sql<
    string[]
  >`coalesce((select array_agg(p.user_id order by p.user_id) from ${conversationParticipants} p where p.conversation_id = ${conversations.id}), '{}')`,
};

export const Conversation = builder.loadableObject('Conversation', {
  load: (ids: string[], ctx): Promise<ConversationRow[]> =>
    ctx.db.select(withParticipants).from(conversations).where(inArray(conversations.id, ids)),
  sort: (c) => c.id,
  // Defence in depth: only those who may read it see a conversation, whatever path returns it.
  // (Admins may read every conversation, so `admin` is what refuses everyone else.)
  authScopes: async (c, ctx) =>
    mayRead(c, ctx.viewer?.id ?? '', await ctx.access.roleIn(c.courseId)) ? { signedIn: true } : { admin: true },
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.field({ type: ConversationKindEnum, resolve: (c) => c.kind }),
    course: t.field({ type: Course, resolve: (c) => c.courseId }),
    participants: t.field({
      type: [User],
      description: 'The people in a direct conversation; empty for the channel (every member of the course).',
      resolve: (c) => c.participants,
    }),
    messages: t.field({
      type: [Message],
      description: 'The `last` messages (default 50, at most 200) before the message `before`, oldest first.',
      args: { last: t.arg.int({ required: false }), before: t.arg.id({ required: false }) },
      resolve: async (c, args, ctx) => {
        const last = args.last ?? 50;
        if (!Number.isInteger(last) || last < 1 || last > 200) throw badInput('last must be between 1 and 200', 'last');
        const before = args.before ? parseId(args.before, 'before') : null;
        const rows = await ctx.db
          .select()
          .from(messages)
          .where(
            and(
              eq(messages.conversationId, c.id),
              before ? lt(messages.seq, sql`(select m.seq from ${messages} m where m.id = ${before})`) : undefined,
            ),
          )
          .orderBy(desc(messages.seq))
          .limit(last);
        return rows.reverse();
      },
    }),
    unreadCount: t.loadable({
      type: 'Int',
      description: "Others' messages after the viewer's read marker.",
      extensions: PER_VIEWER,
      load: (ids: string[], ctx) => unreadCounts(ctx, ids),
      resolve: (c) => c.id,
    }),
  }),
});

async function unreadCounts(ctx: Context, conversationIds: string[]): Promise<number[]> {
  const viewerId = ctx.viewer?.id;
  if (!viewerId) return conversationIds.map(() => 0);
  const rows = await ctx.db
    .select({ conversationId: messages.conversationId, n: count() })
    .from(messages)
    .leftJoin(
      conversationReads,
      and(eq(conversationReads.conversationId, messages.conversationId), eq(conversationReads.userId, viewerId)),
    )
    .where(
      and(
        inArray(messages.conversationId, conversationIds),
        ne(messages.authorId, viewerId),
        gt(messages.seq, sql`coalesce(${conversationReads.lastReadSeq}, 0)`),
      ),
    )
    .groupBy(messages.conversationId);
  return conversationIds.map((id) => rows.find((r) => r.conversationId === id)?.n ?? 0);
}

export const Message = builder.loadableObject('Message', {
  load: (ids: string[], ctx): Promise<MessageRow[]> => ctx.db.select().from(messages).where(inArray(messages.id, ids)),
  sort: (m) => m.id,
  // Reached through a readable conversation or an authorized event; this only keeps out non-members.
  authScopes: (m) => ({ courseMember: m.courseId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    body: t.exposeString('body'),
    clientMessageId: t.exposeString('clientMessageId', {
      description: "The sender's own id for this message (sendMessage is idempotent on it).",
    }),
    conversationId: t.exposeID('conversationId'),
    author: t.field({ type: User, resolve: (m) => m.authorId }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    editedAt: t.expose('editedAt', { type: 'DateTime', nullable: true }),
  }),
});

/** The conversation, if the viewer may read it: malformed → BAD_USER_INPUT, unknown → NOT_FOUND, else FORBIDDEN. */
export async function requireConversation(
  ctx: Context,
  rawId: string,
  need: 'read' | 'write' = 'read',
  field = 'conversationId',
): Promise<ConversationRow> {
  const conversation = await loadOrThrow(Conversation, ctx, rawId, field, 'Conversation');
  const role = await ctx.access.roleIn(conversation.courseId);
  const allowed = (need === 'read' ? mayRead : mayWrite)(conversation, ctx.viewer?.id ?? '', role);
  if (!allowed) throw forbidden('You are not part of this conversation');
  return conversation;
}

async function requireOwnMessage(ctx: Context, rawId: string) {
  const message = await loadOrThrow(Message, ctx, rawId, 'id', 'Message');
  await requireConversation(ctx, message.conversationId, 'read');
  return message;
}

const messageBody = (body: string) => text(body, 'body', { max: MESSAGE_MAX_LENGTH });

function clientMessageIdOf(value: string) {
  const id = value.trim();
  if (id.length < 1 || id.length > 100)
    throw badInput('clientMessageId must be 1 to 100 characters', 'clientMessageId');
  return id;
}

async function conversationsOf(ctx: Context, courseId: string): Promise<ConversationRow[]> {
  const admin = ctx.viewer?.role === 'ADMIN';
  const mine = sql`exists (select 1 from ${conversationParticipants} p where p.conversation_id = ${conversations.id} and p.user_id = ${ctx.viewer?.id ?? null})`;
  return ctx.db
    .select(withParticipants)
    .from(conversations)
    .where(
      and(
        eq(conversations.courseId, courseId),
        admin ? undefined : sql`(${conversations.kind} = 'CHANNEL' or ${mine})`,
      ),
    )
    .orderBy(asc(conversations.kind), asc(conversations.createdAt), asc(conversations.id));
}

builder.queryFields((t) => ({
  conversations: t.field({
    type: [Conversation],
    description: "A course's channel first, then the viewer's direct conversations there (all of them for admins).",
    args: { courseId: t.arg.id({ required: true }) },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => conversationsOf(ctx, (await requireCourse(ctx, args.courseId)).id),
  }),
  conversation: t.field({
    type: Conversation,
    args: { id: t.arg.id({ required: true }) },
    authScopes: { signedIn: true },
    resolve: (_root, args, ctx) => requireConversation(ctx, args.id, 'read', 'id'),
  }),
}));

builder.mutationFields((t) => ({
  startDirectConversation: t.field({
    type: Conversation,
    description:
      'The direct conversation with `userId` in this course, created if new. A student with the staff, or staff with staff.',
    args: { courseId: t.arg.id({ required: true }), userId: t.arg.id({ required: true }) },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const course = await requireCourse(ctx, args.courseId);
      const viewer = ctx.viewer!;
      const otherId = parseId(args.userId, 'userId');
      if (otherId === viewer.id) throw badInput('A conversation needs someone else', 'userId');
      const [other] = await ctx.db.select().from(users).where(eq(users.id, otherId));
      if (!other) throw notFound('User');
      const otherRole = await roleOfUserIn(ctx, otherId, other.role, course.id);
      if (!otherRole) throw badInput('That person is not in this course', 'userId');
      if (!mayTalkDirectly(await ctx.access.roleIn(course.id), otherRole))
        throw forbidden('Students cannot message each other privately: write to the course staff or in the channel');
      const key = pairKey(viewer.id, otherId);
      return ctx.db.transaction(async (tx) => {
        const [created] = await tx
          .insert(conversations)
          .values({ courseId: course.id, kind: 'DIRECT', pairKey: key })
          .onConflictDoNothing()
          .returning();
        if (created)
          await tx.insert(conversationParticipants).values([
            { conversationId: created.id, userId: viewer.id },
            { conversationId: created.id, userId: otherId },
          ]);
        const [row] = await tx
          .select(withParticipants)
          .from(conversations)
          .where(and(eq(conversations.courseId, course.id), eq(conversations.pairKey, key)));
        return row;
      });
    },
  }),
  sendMessage: t.field({
    type: Message,
    description:
      'Idempotent per sender and `clientMessageId`: sending again returns the message made the first time. Body ≤ 4,000 characters; a per-user rate limit answers TOO_MANY_REQUESTS with `retryAfterSeconds`.',
    args: {
      conversationId: t.arg.id({ required: true }),
      body: t.arg.string({ required: true }),
      clientMessageId: t.arg.string({ required: true }),
    },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const conversation = await requireConversation(ctx, args.conversationId, 'write');
      const body = messageBody(args.body);
      const clientMessageId = clientMessageIdOf(args.clientMessageId);
      const viewer = ctx.viewer!;
      const sent = await findSent(ctx, viewer.id, clientMessageId);
      if (sent) return sameMessage(sent, conversation.id);
      await ctx.writeLimiter.consume('messages', viewer.id, ctx.db); // after findSent: a retry is not counted
      const message = await ctx.db.transaction(async (tx) => {
        const [message] = await tx
          .insert(messages)
          .values({
            conversationId: conversation.id,
            courseId: conversation.courseId,
            authorId: viewer.id,
            clientMessageId,
            body,
          })
          .onConflictDoNothing({ target: [messages.authorId, messages.clientMessageId] })
          .returning();
        // A concurrent duplicate won the race: answer with its message.
        if (!message) return sameMessage((await findSent({ db: tx }, viewer.id, clientMessageId))!, conversation.id);
        // Someone reading this conversation right now sees the message arrive: no notification.
        const recipients = conversation.participants.filter(
          (id) => id !== viewer.id && !ctx.ephemeral.presence.isOpen(conversation.courseId, id, conversation.id),
        );
        if (recipients.length > 0) {
          const [author] = await tx.select({ name: users.name }).from(users).where(eq(users.id, viewer.id));
          await tx.insert(notifications).values(
            recipients.map((userId) => ({
              userId,
              courseId: conversation.courseId,
              kind: 'DIRECT_MESSAGE' as const,
              message: `${author.name}: ${body.length > 120 ? `${body.slice(0, 119)}…` : body}`,
              link: `/courses/${conversation.courseId}?tab=chat&conversation=${conversation.id}`,
            })),
          );
        }
        return message;
      });
      // Sending ends "is typing…" at once rather than after its expiry.
      ctx.ephemeral.typing.stoppedTyping(conversation.id, viewer.id);
      return message;
    },
  }),
  editMessage: t.field({
    type: Message,
    description: 'Changes the body of one of your own messages.',
    args: { id: t.arg.id({ required: true }), body: t.arg.string({ required: true }) },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const message = await requireOwnMessage(ctx, args.id);
      if (message.authorId !== ctx.viewer!.id) throw forbidden('Only the author can edit a message');
      const [edited] = await ctx.db
        .update(messages)
        .set({ body: messageBody(args.body), editedAt: new Date() })
        .where(eq(messages.id, message.id))
        .returning();
      if (!edited) throw notFound('Message');
      return edited;
    },
  }),
  deleteMessage: t.field({
    type: Message,
    description: "Your own message; an instructor any in their course's channel; an admin any.",
    args: { id: t.arg.id({ required: true }) },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const message = await loadOrThrow(Message, ctx, args.id, 'id', 'Message');
      const conversation = await requireConversation(ctx, message.conversationId, 'read', 'id');
      const role = await ctx.access.roleIn(conversation.courseId);
      if (!mayDelete(message, conversation, ctx.viewer!.id, role)) throw forbidden('You cannot delete this message');
      const [deleted] = await ctx.db.delete(messages).where(eq(messages.id, message.id)).returning();
      if (!deleted) throw notFound('Message');
      return deleted;
    },
  }),
  markConversationRead: t.field({
    type: Conversation,
    description: 'Moves your read marker to the message `upTo` (default: the newest); it never moves back.',
    args: { id: t.arg.id({ required: true }), upTo: t.arg.id({ required: false }) },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const conversation = await requireConversation(ctx, args.id, 'read', 'id');
      const upTo = args.upTo ? parseId(args.upTo, 'upTo') : null;
      const [mark] = await ctx.db
        .select({ seq: sql<number | null>`max(${messages.seq})` })
        .from(messages)
        .where(and(eq(messages.conversationId, conversation.id), upTo ? eq(messages.id, upTo) : undefined));
      if (upTo && mark?.seq == null) throw badInput('That message is not in this conversation', 'upTo');
      if (mark?.seq != null)
        await ctx.db
          .insert(conversationReads)
          .values({ conversationId: conversation.id, userId: ctx.viewer!.id, lastReadSeq: Number(mark.seq) })
          .onConflictDoUpdate({
            target: [conversationReads.conversationId, conversationReads.userId],
            set: {
              lastReadSeq: sql`greatest(${conversationReads.lastReadSeq}, excluded.last_read_seq)`,
              updatedAt: new Date(),
            },
          });
      return conversation;
    },
  }),
}));

async function findSent(ctx: { db: Pick<Context['db'], 'select'> }, authorId: string, clientMessageId: string) {
  const [row] = await ctx.db
    .select()
    .from(messages)
    .where(and(eq(messages.authorId, authorId), eq(messages.clientMessageId, clientMessageId)));
  return row ?? null;
}

function sameMessage(message: MessageRow, conversationId: string) {
  if (message.conversationId !== conversationId)
    throw badInput('That clientMessageId was already used in another conversation', 'clientMessageId');
  return message;
}

/** A user's role in a course, as Access computes it for the viewer: admins everywhere, else teaching or enrolment. */
async function roleOfUserIn(ctx: Context, userId: string, globalRole: string, courseId: string) {
  if (globalRole === 'ADMIN') return 'ADMIN' as const;
  const [row] = await ctx.db.execute<{ role: 'INSTRUCTOR' | 'STUDENT' }>(sql`
    select 'INSTRUCTOR' as role from teaching_assignments where instructor_id = ${userId} and course_id = ${courseId}
    union all
    select 'STUDENT' from enrolments where student_id = ${userId} and course_id = ${courseId}
    order by role limit 1`);
  return row?.role ?? null;
}

defineLiveTopic({
  field: 'messageChanged',
  type: 'MessageEvent',
  description:
    'A message was sent, edited or deleted in a conversation the viewer may read (one conversation, one course, or all).',
  policy: {
    name: 'message',
    sources: ['message'],
    audience: 'conversation',
    narrow: ({ conversationId }) => (conversationId ? (event) => event.data.conversationId === conversationId : null),
  },
  narrowBy: ['conversationId'],
  scope: async (args, ctx) => ({
    courseMember: (await requireConversation(ctx, args.conversationId!)).courseId,
  }),
  fields: (t) => ({
    conversationId: t.id({ nullable: true, resolve: (m) => (eventOf(m)?.data.conversationId as string) ?? null }),
    messageId: t.id({ nullable: true, resolve: (m) => eventOf(m)?.entityId ?? null }),
    message: t.field({
      type: Message,
      nullable: true,
      description: 'The message as it is now; null when deleted (use `messageId`) and for RESYNC.',
      resolve: entityRow(messages),
    }),
  }),
});
