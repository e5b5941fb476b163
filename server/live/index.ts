import type { Sql } from 'postgres';
import type { Database } from '../../db/client';
import { type Access, createAccess, type Viewer } from '../auth/access';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { type Cursor, formatCursor, parseCursor } from './cursor';
import { authorize, cursorOfRow, decodeOutboxRow, type Topic } from './event';
import { createInProcessBus, createRedisBus } from './event-bus';
import { createHub } from './hub';
import { createOutboxReader, type ReadFilter } from './outbox';
import { createRelay } from './relay';
import { type LiveMessage, type LiveStream, openStream } from './stream';

export type LiveConfig = {
  redisUrl: string | undefined;
  relaySweepMs: number;
  relayBatchSize: number;
  repairIntervalMs: number;
  retentionDays: number;
  retentionIntervalMs: number;
  maxQueuedEvents: number;
  contentCoalesceMs: number;
};

export type StreamRequest = {
  viewer: Viewer;
  /** The subscribing request's permissions, already warmed by its scope checks: reused, not reloaded. */
  access?: Access;
  topics: Topic[];
  after: string | null | undefined;
  courseId?: string | null;
  pollId?: string | null;
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
  const hub = createHub({ bus, reader, log: deps.log, repairIntervalMs: config.repairIntervalMs, metrics });
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

  return {
    reader,
    hub,
    relay,
    bus,
    async start() {
      await hub.start();
      relay.start();
    },
    async stop() {
      await relay.stop();
      await hub.stop();
      await bus.stop();
    },

    async stream(request: StreamRequest): Promise<LiveStream> {
      const { viewer, courseId, pollId } = request;
      const after = request.after ? parseCursor(request.after) : null;
      const access = request.access ?? createAccess(deps.db, viewer);
      const replayFilter = request.topics.includes('notification')
        ? { audienceUserId: viewer.id }
        : await scope(viewer, courseId, access);
      return openStream({
        hub,
        reader,
        topics: request.topics,
        // Notifications are addressed to the viewer; course topics narrow to the course when given.
        routes: request.topics.map((topic) =>
          topic === 'notification' ? { topic, userId: viewer.id } : { topic, courseId },
        ),
        after,
        replayFilter,
        courseId: courseId ?? null,
        pollId: pollId ?? null,
        viewerId: viewer.id,
        access,
        maxQueue: config.maxQueuedEvents,
        onOverflow: request.onOverflow,
        endsAt: request.endsAt,
        coalesceMs: request.topics.includes('content') ? config.contentCoalesceMs : undefined,
        metrics,
      });
    },

    /** The cursor a client pairs with data it is about to read (snapshot, then live, with no gap). */
    liveCursor: async () => formatCursor(await reader.settledCursor()),

    /** Polling fallback: the events after `after` this viewer may see, and the cursor to ask from next. */
    async updates(request: { viewer: Viewer; after: string; courseId?: string | null; limit: number }) {
      const after = parseCursor(request.after);
      if (!(await reader.canReplayFrom(after))) {
        const cursor = await reader.settledCursor();
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
      const rows = await reader.readAfter(after, request.limit, {
        ...filter,
        topics: ['grade', 'attendance', 'poll', 'content', 'notification'],
      });
      const messages: LiveMessage[] = [];
      const content = new Map<string, Extract<LiveMessage, { kind: 'event' }>>();
      for (const row of rows) {
        const event = decodeOutboxRow(row);
        if (request.courseId && event.courseId !== request.courseId && event.topic !== 'notification') continue;
        const { visible, shareScope: scope } = await authorize(event, request.viewer.id, access);
        if (!visible) continue;
        // Content is a signal, not the content: one per course per page, with the whole burst.
        const coalesced = event.topic === 'content' && event.courseId ? content.get(event.courseId) : undefined;
        if (coalesced) {
          coalesced.event = event;
          coalesced.batch.push(event);
          continue;
        }
        const message = { kind: 'event' as const, event, batch: [event], shareScope: scope };
        if (event.topic === 'content' && event.courseId) content.set(event.courseId, message);
        messages.push(message);
      }
      const last: Cursor = rows.length ? cursorOfRow(rows.at(-1)!) : after;
      return { messages, cursor: formatCursor(last), hasMore: rows.length === request.limit, resyncRequired: false };
    },
  };
}

export type Live = ReturnType<typeof createLive>;
