// Applying events exactly once. Every event, pushed or polled, goes through deliver(): an event
// whose cursor is not after the last one applied for its topic is dropped, the others reach urql
// as a result of the topic's subscription operation (where graphcache's updaters apply them) and
// then the onEvent listeners (toasts, the feed banner).
//
// Cursors are kept per topic: topics are separate streams that may be at different points, so one
// global cursor would be wrong (a slower grade replay must not be cut off by a faster poll event).
import { isAfter, maxCursor, minCursor } from '../../../shared/cursor';
import type { StateStore } from './state';
import { type LiveEvent, TOPICS, type TopicField } from './topics';

export type LiveListener = (event: LiveEvent) => void;
/** Where a topic's events go into urql: the observer of its subscription operation. */
export type TopicSink = (result: { data: Record<string, unknown> }) => void;

export type Delivery = ReturnType<typeof createDelivery>;

export function createDelivery({ state, onResync }: { state: StateStore; onResync: () => void }) {
  const cursors = new Map<TopicField, string>();
  const sinks = new Map<TopicField, Set<TopicSink>>();
  const listeners = new Set<LiveListener>();
  /** Events applied so far: a query result tells by it whether an event landed while it was read. */
  let applied = 0;

  return {
    /** The last cursor applied for `field` (where its subscription resumes). */
    cursor: (field: TopicField) => cursors.get(field),
    /** The oldest topic cursor: where polling must start so that no topic misses anything. */
    oldest: () => minCursor(TOPICS.map((t) => cursors.get(t.field))),
    /** Topics that have no cursor yet start at `cursor` (the snapshot's). */
    startAt(cursor: string) {
      for (const t of TOPICS) if (!cursors.get(t.field)) cursors.set(t.field, cursor);
    },
    /** Every topic moves to `cursor` (a RESYNC from `updates`: everything is read again anyway). */
    resetTo(cursor: string) {
      for (const t of TOPICS) cursors.set(t.field, cursor);
    },
    /** An `updates` page holds every event up to `cursor` this viewer may see, of every topic. */
    advanceTo(cursor: string) {
      for (const t of TOPICS) cursors.set(t.field, maxCursor(cursors.get(t.field), cursor)!);
    },
    applied: () => applied,

    /** Applies an event once: drops it unless its cursor is after the last applied for its topic. */
    deliver(field: TopicField, event: LiveEvent): boolean {
      if (event.action === 'RESYNC') {
        cursors.set(field, event.cursor);
        onResync();
        return true;
      }
      if (!isAfter(event.cursor, cursors.get(field))) return false;
      cursors.set(field, event.cursor);
      applied++;
      const data = { [field]: event };
      for (const sink of sinks.get(field) ?? []) sink({ data });
      for (const l of listeners) l(event);
      state.set({ updatedAt: Date.now() });
      return true;
    },

    /** Connects a topic's urql subscription operation; returns the disconnect. */
    addSink(field: TopicField, sink: TopicSink) {
      let set = sinks.get(field);
      if (!set) sinks.set(field, (set = new Set()));
      set.add(sink);
      return () => void set.delete(sink);
    },

    /** Every event applied (after deduplication), e.g. for toasts and the feed banner. */
    onEvent(listener: LiveListener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
