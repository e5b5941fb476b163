import { builder } from '../builder';
import type { LiveMessage } from '../live/stream';
import { pageSize } from '../pagination';
import { requireCourse } from './courses';
import { declaredTopics, type EventMessage } from './live-topic';

/**
 * What every live topic shares: `liveCursor`, and `updates` (the polling fallback) with the
 * `LiveUpdate` union of every declared topic's event type. Imported after the domains, so every
 * topic is declared (server/schema/index.ts).
 */

/** What `updates` carries: every topic with events of its own (derived ones are refetched, live-topic.ts). */
const polled = declaredTopics.filter((topic) => !topic.derived);
const typeByTopic = new Map(polled.map((topic) => [topic.policy.name, topic.typeName]));

const LiveUpdate = builder.unionType('LiveUpdate', {
  types: polled.map((topic) => topic.ref),
  resolveType: (m) => typeByTopic.get((m as EventMessage).topic)!,
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
      first: t.arg.int({ required: false, defaultValue: 200, description: 'Events per page: 1 to 1000.' }),
    },
    resolve: async (_root, args, ctx) => {
      const courseId = args.courseId ? (await requireCourse(ctx, args.courseId)).id : null;
      const limit = pageSize(args.first, 200, 1000);
      const topics = polled.map((topic) => topic.policy);
      return ctx.live.updates({ viewer: ctx.viewer!, after: args.after, courseId, limit, topics, access: ctx.access });
    },
  }),
}));
