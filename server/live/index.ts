import type { Sql } from 'postgres';
import type { Database } from '../../db/client';
import { type Access, createAccess, type Viewer } from '../auth/access';
import { createSessionCache } from '../auth/session-cache';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { createAccountWatch } from './accounts';
import { formatCursor, parseCursor } from './cursor';
import { createInProcessBus, createRedisBus } from './event-bus';
import { createHub } from './hub';
import { createOutboxReader, type ReadFilter } from './outbox';
import { createPolling } from './polling';
import { createRelay } from './relay';
import { type LiveStream, openStream, type SlowSocket } from './stream';
import { routesOf, type TopicPolicy } from './topic';

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
  recentEvents: number;
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
  slowSocket?: SlowSocket;
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
    recentEvents: config.recentEvents,
    retentionDays: config.retentionDays,
    metrics,
  });
  const accounts = createAccountWatch(hub);
  // Sessions are remembered only while account events can reach this instance through the bus.
  const sessions = createSessionCache(accounts, bus.connected);
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

  const polling = createPolling({ db: deps.db, hub, reader, relay, scope, metrics });

  return {
    reader,
    hub,
    relay,
    bus,
    accounts,
    /** The active sessions this instance has looked up (auth/session-cache.ts). */
    sessions,
    async start() {
      await hub.start();
      accounts.start();
      relay.start();
    },
    async stop() {
      await relay.stop();
      accounts.stop();
      sessions.stop();
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
        slowSocket: request.slowSocket,
        endsAt: request.endsAt,
        coalesceMs: policy.coalesceMs?.(config),
        metrics,
      });
    },

    /** The cursor a client pairs with data it is about to read (snapshot, then live, with no gap). */
    liveCursor: async () => formatCursor(await reader.currentCursor()),

    updates: polling.updates,
  };
}

export type Live = ReturnType<typeof createLive>;
