import type { ObjectFieldsShape, ObjectRef } from '@pothos/core';
import { eq, getTableName, type InferSelectModel } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { builder } from '../builder';
import type { Context } from '../context';
import { unauthenticated } from '../errors';
import type { LiveEvent } from '../live/event';
import { memo } from '../live/memo';
import type { LiveMessage } from '../live/stream';
import type { TopicPolicy } from '../live/topic';
import { parseId } from '../validate';

/**
 * A live topic is one declaration: `defineLiveTopic` takes the topic's policy (outbox sources,
 * audience, coalescing, narrowing; server/live/topic.ts) and its GraphQL half (event type and its
 * fields, subscription field, arguments), and from it follow the subscription with its
 * subscribe-time authorization, the `LiveUpdate` member and `updates` (server/schema/live.ts),
 * the hub routes and per-event authorization (server/live).
 */

/** What an event type resolves from: an event (a coalesced burst keeps all of them) or a resync signal. */
export type Message = Exclude<LiveMessage, { kind: 'error' }>;
export type EventMessage = Extract<LiveMessage, { kind: 'event' }>;

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type AuthScopes = Partial<Types['AuthScopes']>;
type NarrowingArgs = Record<string, string | null | undefined>;

export const LiveAction = builder.enumType('LiveAction', {
  description:
    'What happened. RESYNC: the `after` cursor is older than the outbox keeps; refetch, then continue from this cursor.',
  values: ['CREATED', 'UPDATED', 'DELETED', 'RESYNC'] as const,
});

/** The event a message carries (the newest of a coalesced burst); null for RESYNC. */
export const eventOf = (m: Message): LiveEvent | null => (m.kind === 'event' ? m.event : null);

/**
 * A resolver for an event's entity field: the row the event names (`entity_id`) as it is now,
 * read once per event for every subscriber of this instance (memo). Null for RESYNC and for a
 * deletion (the row is gone: clients use the event's ids), and where `when` says the event is
 * about something else (courseChanged's kinds).
 */
export function entityRow<T extends PgTable & { id: PgColumn }>(table: T, when?: (event: LiveEvent) => boolean) {
  const key = `row:${getTableName(table)}`;
  return (m: Message, _args: unknown, ctx: Context): Promise<InferSelectModel<T> | null> | null => {
    const e = eventOf(m);
    if (!e || e.action === 'DELETED' || (when && !when(e))) return null;
    return memo(e, key, async () => {
      const rows = await ctx.db
        .select()
        .from(table as PgTable)
        .where(eq(table.id, e.entityId));
      return (rows[0] as InferSelectModel<T> | undefined) ?? null;
    });
  };
}

export type LiveTopicDeclaration = {
  /** The subscription field, e.g. `gradeChanged`. */
  field: string;
  /** The event type's name and description, e.g. `GradeEvent`. */
  type: string;
  description: string;
  policy: TopicPolicy;
  /** The `courseId` argument: optional (all of the viewer's courses without it), required, or none (recipient topics). */
  courseArgument?: 'optional' | 'required' | 'none';
  /** Further ID arguments that narrow the events (read by `policy.narrow`), e.g. `pollId`. */
  narrowBy?: readonly string[];
  /** Subscribe-time scopes when a narrowing argument is given (the poll's course, not the argument's). */
  scope?: (args: NarrowingArgs, ctx: Context) => Promise<AuthScopes> | AuthScopes;
  /**
   * A view computed from other topics' events (class statistics), not a log of its own: its
   * subscription replays and coalesces like any other, but it is left out of `updates` and
   * `LiveUpdate`. A polling client already receives the source topics' events there and refetches
   * the view (docs/realtime.md §7): `updates` stays one event per outbox row, and a derived value
   * is never computed per polling client.
   */
  derived?: boolean;
  /** The event's own fields, beside `cursor`, `action` and `occurredAt`. */
  fields: ObjectFieldsShape<Types, Message>;
};

export type DeclaredTopic = {
  policy: TopicPolicy;
  typeName: string;
  ref: ObjectRef<Types, Message>;
  derived: boolean;
};

/** Every declared topic, in declaration order; those not `derived` are `LiveUpdate`'s members and what `updates` reads. */
export const declaredTopics: DeclaredTopic[] = [];

const AFTER = 'Replay every event after this cursor first, then continue live.';

export function defineLiveTopic(declaration: LiveTopicDeclaration): ObjectRef<Types, Message> {
  const { policy, narrowBy = [] } = declaration;
  const courseArgument = declaration.courseArgument ?? (policy.audience === 'recipient' ? 'none' : 'optional');
  const ref = builder.objectRef<Message>(declaration.type).implement({
    description: declaration.description,
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
  builder.objectFields(ref, declaration.fields);
  declaredTopics.push({ policy, typeName: declaration.type, ref, derived: declaration.derived ?? false });

  builder.subscriptionField(declaration.field, (t) => {
    const args = {
      ...(courseArgument === 'none' ? {} : { courseId: t.arg.id({ required: courseArgument === 'required' }) }),
      ...Object.fromEntries(narrowBy.map((name) => [name, t.arg.id({ required: false })])),
      after: t.arg.string({ required: false, description: AFTER }),
    } as Record<string, ReturnType<typeof t.arg.id>>;
    return t.field({
      type: ref,
      args,
      authScopes: async (_root, raw, ctx) => {
        const given = raw as NarrowingArgs;
        if (declaration.scope && narrowBy.some((name) => given[name])) return declaration.scope(given, ctx);
        if (!given.courseId || courseArgument === 'none') return { signedIn: true };
        const courseId = parseId(given.courseId, 'courseId');
        return policy.audience === 'staff' ? { courseStaff: courseId } : { courseMember: courseId };
      },
      subscribe: (_root, raw, ctx) => {
        const given = raw as NarrowingArgs;
        if (!ctx.viewer) throw unauthenticated();
        return ctx.live.stream({
          viewer: ctx.viewer,
          sessionId: ctx.sessionId,
          authenticatedAt: ctx.authenticatedAt,
          policy,
          after: given.after,
          courseId: given.courseId ? parseId(given.courseId, 'courseId') : null,
          args: Object.fromEntries(narrowBy.map((name) => [name, given[name] ? parseId(given[name], name) : null])),
          access: ctx.access,
          slowSocket: ctx.slowSocket,
          endsAt: ctx.tokenExpiresAt,
        });
      },
      resolve: deliver,
    });
  });
  return ref;
}

/** The last message of a stream that fell behind is an error; everything else is an event. */
function deliver(message: LiveMessage): Message {
  if (message.kind === 'error') throw message.error;
  return message;
}
