import type { Database } from '../../db/client';
import { type Access, createAccess, type Viewer } from '../auth/access';
import type { Metrics } from '../metrics';
import { type Cursor, formatCursor, isAfter, parseCursor } from './cursor';
import { cursorOfRow, decodeOutboxRow, type LiveEvent } from './event';
import type { Hub } from './hub';
import { keptBy, type OutboxReader, type ReadFilter } from './outbox';
import type { Relay } from './relay';
import type { LiveMessage } from './stream';
import { authorize, type TopicPolicy } from './topic';

export type UpdatesRequest = {
  viewer: Viewer;
  after: string;
  courseId?: string | null;
  limit: number;
  topics: readonly TopicPolicy[];
  /** The request's permissions, maybe already warmed by its scope checks: reused, not reloaded. */
  access?: Access;
};

/** Rows of the shared read after the hub's last event (the same for every poll, so they share it). */
const TAIL = 500;

export type UpdatesPage = { messages: LiveMessage[]; cursor: string; hasMore: boolean; resyncRequired: boolean };

/** What to read for a viewer: one course, or their courses plus their own personal events (live/index.ts). */
export type Scope = (
  viewer: Viewer,
  courseId: string | null | undefined,
  access: Access,
) => Promise<Omit<ReadFilter, 'topics' | 'upTo'>>;

/**
 * The polling fallback, `updates`: the events after a cursor that the viewer may see. Three ways
 * to answer, cheapest first:
 * 1. nothing new after the cursor (the usual poll): from the hub's position, no query;
 * 2. the cursor inside the hub's recent events: from those, with the viewer's filter and
 *    authorization applied in memory — pollers of different users and cursors share the one log
 *    instead of one outbox read each (only their permissions are loaded, when an event concerns
 *    them); while this instance's relay has announced events the hub may not have yet, plus one
 *    unfiltered read after the hub's last event, which every poll asking at that moment shares;
 * 3. otherwise (an old cursor, or this instance's hub may be behind what its relay announced):
 *    read from the outbox, identical concurrent reads sharing one query.
 */
export function createPolling(deps: {
  db: Database;
  hub: Hub;
  reader: OutboxReader;
  relay: Relay;
  scope: Scope;
  metrics?: Metrics;
}) {
  const { hub, reader, relay, metrics } = deps;

  /**
   * Whether the hub has every event this instance knows of: when it leads the relay, nothing
   * announced is unpublished and the hub has everything published (so a poll right after a commit
   * on a one-instance deployment finds it). Where another instance leads, an event not yet on this
   * hub waits for the next poll, as long as a subscription here waits for it.
   */
  function hubIsCurrent(): boolean {
    const quiet = relay.quiet();
    if (quiet === null) return true;
    const last = hub.lastCursor();
    return quiet && last !== null && !isAfter(relay.published(), last);
  }

  /** The page of messages for `events` (already filtered like an outbox read), authorized for the viewer. */
  async function page(request: UpdatesRequest, events: LiveEvent[], access: Access): Promise<LiveMessage[]> {
    const messages: LiveMessage[] = [];
    const coalescing = new Map<string, Extract<LiveMessage, { kind: 'event' }>>();
    for (const event of events) {
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
    return messages;
  }

  const sourcesOf = (topics: readonly TopicPolicy[]) => [...new Set(topics.flatMap((topic) => topic.sources))];

  async function fromRecent(request: UpdatesRequest, after: Cursor): Promise<UpdatesPage | null> {
    const recent = hub.recent();
    const last = hub.lastCursor();
    // A cursor past the hub's last event is either current (answered above) or one to resync.
    if (!recent?.covers(after) || !last || isAfter(after, last)) return null;
    const ofTopics = keptBy({ topics: sourcesOf(request.topics) });
    // Taken now, whole: (after, through] is complete even if the hub drops some of it during an await below.
    const held = recent.after(after, ofTopics);
    let { through } = held;
    let candidates = held.events;
    let more = false;
    if (hubIsCurrent()) metrics?.polls.inc({ answer: 'window' });
    else {
      // This instance leads the relay and the hub may not have all it announced yet: read what
      // follows the hub's events, unfiltered, so every poll asking now shares the one query.
      metrics?.polls.inc({ answer: 'tail' });
      const rows = await reader.readAfter(through, TAIL);
      if (rows.length) through = cursorOfRow(rows.at(-1)!);
      candidates = candidates.concat(rows.map((row) => decodeOutboxRow(row)).filter(ofTopics));
      more = rows.length === TAIL;
    }
    // Most polls find no event of their topics: they load no permissions at all.
    if (candidates.length === 0)
      return { messages: [], cursor: formatCursor(through), hasMore: more, resyncRequired: false };
    const access = request.access ?? createAccess(deps.db, request.viewer);
    const kept = candidates.filter(keptBy(await deps.scope(request.viewer, request.courseId, access)));
    const events = kept.slice(0, request.limit);
    const hasMore = more || kept.length > request.limit;
    const cursor = kept.length > request.limit ? events.at(-1)!.cursor : formatCursor(through);
    return { messages: await page(request, events, access), cursor, hasMore, resyncRequired: false };
  }

  async function fromOutbox(request: UpdatesRequest, after: Cursor): Promise<UpdatesPage> {
    metrics?.polls.inc({ answer: 'outbox' });
    if (!(await reader.canReplayFrom(after))) {
      const cursor = formatCursor(await reader.currentCursor());
      const resync: LiveMessage = { kind: 'resync', cursor, occurredAt: new Date().toISOString() };
      return { messages: [resync], cursor, hasMore: false, resyncRequired: true };
    }
    const access = request.access ?? createAccess(deps.db, request.viewer);
    const filter = await deps.scope(request.viewer, request.courseId, access);
    const rows = await reader.readAfter(after, request.limit, { ...filter, topics: sourcesOf(request.topics) });
    const messages = await page(
      request,
      rows.map((row) => decodeOutboxRow(row)),
      access,
    );
    const last: Cursor = rows.length ? cursorOfRow(rows.at(-1)!) : after;
    return { messages, cursor: formatCursor(last), hasMore: rows.length === request.limit, resyncRequired: false };
  }

  return {
    /**
     * The events after `request.after` the viewer may see, of every topic in `request.topics`,
     * and the cursor to ask from next. Coalescing topics give one message per course per page.
     */
    async updates(request: UpdatesRequest): Promise<UpdatesPage> {
      const after = parseCursor(request.after);
      // An event ordered but not yet on this hub is not skipped, only left for the next poll.
      if (hub.holdsNothingAfter(after) && hubIsCurrent()) {
        metrics?.polls.inc({ answer: 'hub' });
        return { messages: [], cursor: request.after, hasMore: false, resyncRequired: false };
      }
      return (await fromRecent(request, after)) ?? fromOutbox(request, after);
    },
  };
}
