import type { Sql } from 'postgres';
import type { Database } from '../../db/client';
import { type Access, createAccess, type Viewer } from '../auth/access';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { createAccountWatch } from './accounts';
import { type Cursor, formatCursor, isAfter, parseCursor } from './cursor';
import { cursorOfRow, decodeOutboxRow } from './event';
import { createInProcessBus, createRedisBus } from './event-bus';
import { createHub } from './hub';
import { createOutboxReader, type ReadFilter } from './outbox';
import { createRelay } from './relay';
import { type LiveMessage, type LiveStream, openStream } from './stream';
import { authorize, routesOf, type TopicPolicy } from './topic';

export type LiveConfig = {
  redisUrl: string | undefined;
  relaySweepMs: number;
  relayBatchSize: number;
  repairIntervalMs: number;
  degradedPollMs: number;
  retentionDays: number;
  retentionIntervalMs: number;
  maxQueuedEvents: number;
  contentCoalesceMs: number;
  statsCoalesceMs: number;
};

export type StreamRequest = {
  viewer: Viewer;
  /** The session the subscribing token names: the stream ends when it ends (or the role changes). */
  sessionId: string | null;
  /** When that session was found active (ms): an account event heard since then ends the stream at once. */
  authenticatedAt?: number;
  /** The subscribing request's permissions, already warmed by its scope checks: reused, not reloaded. */
  access?: Access;
  /** The declared topic to deliver (live/topic.ts). */
  policy: TopicPolicy;
  after: string | null | undefined;
  courseId?: string | null;
  /** The subscription's other arguments, for the topic's own narrowing (`pollId`). */
  args?: Readonly<Record<string, string | null>>;
  /** When the viewer's token expires: the stream ends then. */
  endsAt?: Date | null;
  /** How to end a consumer that fell too far behind (graphql-ws: close the socket, retryably). */
  onOverflow?: () => void;
};

/** The whole live pipeline of one instance: outbox reader, bus, hub and (maybe leading) relay. */
export function createLive(
  config: LiveConfig,
  deps: { db: Database; sql: Sql; databaseUrl: string; log: Logger; metrics?: Metrics },
) {
  const { metrics } = deps;
  const reader = createOutboxReader(deps.sql);
  const bus = config.redisUrl ? createRedisBus(config.redisUrl, deps.log) : createInProcessBus();
  const hub = createHub({
    bus,
    reader,
    log: deps.log,
    repairIntervalMs: config.repairIntervalMs,
    degradedPollMs: config.degradedPollMs,
    metrics,
  });
  const accounts = createAccountWatch(hub);
  const relay = createRelay({
    sql: deps.sql,
    databaseUrl: deps.databaseUrl,
    bus,
    log: deps.log,
    sweepMs: config.relaySweepMs,
    batchSize: config.relayBatchSize,
    retentionDays: config.retentionDays,
    retentionIntervalMs: config.retentionIntervalMs,
    metrics,
  });

  /** What to read for this viewer: one course, or their courses plus their own personal events. */
  async function scope(
    viewer: Viewer,
    courseId: string | null | undefined,
    access: ReturnType<typeof createAccess>,
  ): Promise<Omit<ReadFilter, 'topics' | 'upTo'>> {
    if (courseId) return { courseIds: [courseId] };
    const ids = await access.courseIds();
    return ids ? { courseIds: ids, audienceUserId: viewer.id } : {};
  }

  /**
   * Whether `updates` after `after` would find nothing, known without a query: this instance's hub
   * has dispatched nothing after it and, when this instance leads the relay, the relay has nothing
   * announced but unpublished and the hub has everything it published (so a poll right after a
   * commit on a one-instance deployment reads it). Where another instance leads, an event not yet
   * on this hub waits for the next poll, as long as a subscription here waits for it.
   */
  function nothingNewAfter(after: Cursor): boolean {
    if (!hub.holdsNothingAfter(after)) return false;
    const quiet = relay.quiet();
    if (quiet === null) return true;
    const last = hub.lastCursor();
    return quiet && last !== null && !isAfter(relay.published(), last);
  }

  return {
    reader,
    hub,
    relay,
    bus,
    accounts,
    async start() {
      await hub.start();
      accounts.start();
      relay.start();
    },
    async stop() {
      await relay.stop();
      accounts.stop();
      await hub.stop();
      await bus.stop();
    },

    async stream(request: StreamRequest): Promise<LiveStream> {
      const { viewer, policy } = request;
      const courseId = request.courseId ?? null;
      const after = request.after ? parseCursor(request.after) : null;
      const access = request.access ?? createAccess(deps.db, viewer);
      const replayFilter =
        policy.audience === 'recipient' ? { audienceUserId: viewer.id } : await scope(viewer, courseId, access);
      // Synchronous from here until the stream listens to the hub: no account event slips between.
      const revoked =
        request.sessionId && request.authenticatedAt !== undefined
          ? accounts.changedSince(viewer.id, request.sessionId, request.authenticatedAt)
          : undefined;
      return openStream({
        hub,
        reader,
        policy,
        routes: routesOf(policy, viewer.id, courseId),
        after,
        replayFilter,
        courseId,
        narrow: policy.narrow?.(request.args ?? {}) ?? null,
        viewerId: viewer.id,
        sessionId: request.sessionId,
        revoked,
        access,
        maxQueue: config.maxQueuedEvents,
        onOverflow: request.onOverflow,
        endsAt: request.endsAt,
        coalesceMs: policy.coalesceMs?.(config),
        metrics,
      });
    },

    /** The cursor a client pairs with data it is about to read (snapshot, then live, with no gap). */
    liveCursor: async () => formatCursor(await reader.currentCursor()),

    /**
     * Polling fallback: the events after `after` this viewer may see, of every topic in `topics`,
     * and the cursor to ask from next. Coalescing topics give one message per course per page.
     */
    async updates(request: {
      viewer: Viewer;
      after: string;
      courseId?: string | null;
      limit: number;
      topics: readonly TopicPolicy[];
    }) {
      const after = parseCursor(request.after);
      // Nothing new (the usual poll): answered from the hub, without a query. An event ordered but
      // not yet on this hub is not skipped, only left for the next poll, with a subscription's delay.
      if (nothingNewAfter(after)) {
        metrics?.polls.inc({ answer: 'hub' });
        return { messages: [] as LiveMessage[], cursor: request.after, hasMore: false, resyncRequired: false };
      }
      metrics?.polls.inc({ answer: 'outbox' });
      if (!(await reader.canReplayFrom(after))) {
        const cursor = await reader.currentCursor();
        return {
          messages: [
            { kind: 'resync', cursor: formatCursor(cursor), occurredAt: new Date().toISOString() },
          ] as LiveMessage[],
          cursor: formatCursor(cursor),
          hasMore: false,
          resyncRequired: true,
        };
      }
      const access = createAccess(deps.db, request.viewer);
      const filter = await scope(request.viewer, request.courseId, access);
      const sources = [...new Set(request.topics.flatMap((topic) => topic.sources))];
      const rows = await reader.readAfter(after, request.limit, {
        ...filter,
        topics: sources,
      });
      const messages: LiveMessage[] = [];
      const coalescing = new Map<string, Extract<LiveMessage, { kind: 'event' }>>();
      for (const row of rows) {
        const event = decodeOutboxRow(row);
        for (const policy of request.topics) {
          if (!policy.sources.includes(event.topic)) continue;
          if (request.courseId && event.courseId !== request.courseId && policy.audience !== 'recipient') continue;
          const { visible, shareScope } = await authorize(policy, event, request.viewer.id, access);
          if (!visible) continue;
          // A coalescing topic is a signal, not the content: one per course per page, with the whole burst.
          const key = policy.coalesceMs && event.courseId ? `${policy.name}|${event.courseId}` : null;
          const coalesced = key ? coalescing.get(key) : undefined;
          if (coalesced) {
            coalesced.event = event;
            coalesced.batch.push(event);
            continue;
          }
          const message = { kind: 'event' as const, topic: policy.name, event, batch: [event], shareScope };
          if (key) coalescing.set(key, message);
          messages.push(message);
        }
      }
      const last: Cursor = rows.length ? cursorOfRow(rows.at(-1)!) : after;
      return { messages, cursor: formatCursor(last), hasMore: rows.length === request.limit, resyncRequired: false };
    },
  };
}

export type Live = ReturnType<typeof createLive>;
