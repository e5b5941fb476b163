import { LeanMultiMap } from '../lean-multimap';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { type Cursor, formatCursor, isAfter, maxCursor, parseCursor } from './cursor';
import { cursorOfRow, decodeOutboxRow, type LiveEvent, type Topic } from './event';
import type { EventBus } from './event-bus';
import type { OutboxReader } from './outbox';
import { RecentEvents } from './recent';

export type HubListener = { hear(event: LiveEvent, cursor: Cursor): void };

/** What a listener hears: every event of a topic, or only those of one course, or addressed to one user. */
export type Route = { topic: Topic; courseId?: string | null; userId?: string | null };

/**
 * Listeners by topic, then by course or user id: keyed by the ids themselves, not by a string
 * built per route, and a lone listener held without a Set (LeanMultiMap). With 100,000
 * subscribers, each a user of their own, a key string and two Sets would be paid per subscription.
 */
class RouteIndex {
  private readonly everyone = new LeanMultiMap<string, HubListener>();
  private readonly byCourse = new Map<string, LeanMultiMap<string, HubListener>>();
  private readonly byUser = new Map<string, LeanMultiMap<string, HubListener>>();

  add({ topic, courseId, userId }: Route, listener: HubListener) {
    if (!courseId && !userId) return void this.everyone.add(topic, listener);
    const index = courseId ? this.byCourse : this.byUser;
    let routes = index.get(topic);
    if (!routes) index.set(topic, (routes = new LeanMultiMap()));
    routes.add((courseId ?? userId)!, listener);
  }

  delete({ topic, courseId, userId }: Route, listener: HubListener) {
    if (!courseId && !userId) return void this.everyone.delete(topic, listener);
    const index = courseId ? this.byCourse : this.byUser;
    const routes = index.get(topic);
    routes?.delete((courseId ?? userId)!, listener);
    if (routes?.size === 0) index.delete(topic);
  }

  notify(event: LiveEvent, cursor: Cursor) {
    for (const listener of this.everyone.members(event.topic)) listener.hear(event, cursor);
    if (event.courseId) {
      const routes = this.byCourse.get(event.topic);
      if (routes) for (const listener of routes.members(event.courseId)) listener.hear(event, cursor);
    }
    if (event.audienceUserId) {
      const routes = this.byUser.get(event.topic);
      if (routes) for (const listener of routes.members(event.audienceUserId)) listener.hear(event, cursor);
    }
  }

  get size() {
    let n = this.everyone.size;
    for (const routes of this.byCourse.values()) n += routes.size;
    for (const routes of this.byUser.values()) n += routes.size;
    return n;
  }
}

const REPAIR_BATCH = 500;

/**
 * One per instance: takes events from the bus, drops duplicates, repairs gaps from the outbox,
 * and hands each event, in cursor order, to this instance's live subscriptions.
 *
 * Invariant: every event with a cursor at or below `last` has been dispatched (or predates the
 * hub); every later event will be. A subscription registered now replays up to `last` from the
 * database and takes everything after it live — the seam has no gap and no duplicate.
 */
export function createHub(options: {
  bus: EventBus;
  reader: OutboxReader;
  log: Logger;
  /** A quiet hub reads the outbox itself this often (a lost publish, the last event before an outage). */
  repairIntervalMs: number;
  /** While the bus is down, the hub reads the outbox itself this often: events keep flowing. */
  degradedPollMs: number;
  /** How many of the latest events to keep for pollers (live/recent.ts), and for how long at most. */
  recentEvents: number;
  retentionDays: number;
  metrics?: Metrics;
}) {
  const { bus, reader, log } = options;
  // Indexed by route, so an event visits only the listeners of its course or its user.
  const listeners = new RouteIndex();
  let last: Cursor | null = null;
  // The highest cursor known to be at or below the cursor after every position given so far (what
  // the outbox would accept as `after` without a resync): the start cursor, then the position
  // after each event dispatched.
  let bound: Cursor | null = null;
  let chain: Promise<void> = Promise.resolve();
  let lastReadAt = Date.now();
  let reading = false;
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe = () => {};
  let dispatched = 0;
  // Listeners ever added (a route each): unlike `listeners`, it does not fall while others leave.
  let added = 0;
  let recent: RecentEvents | null = null;

  /** Serialises bus deliveries and repairs so events leave in cursor order. */
  function enqueue(task: () => Promise<void> | void) {
    chain = chain.then(task).catch((error) => log.error({ err: error }, 'live hub task failed'));
    return chain;
  }

  function dispatch(event: LiveEvent, cursor: Cursor) {
    last = cursor;
    bound = maxCursor(bound!, { pos: cursor.pos + 1n, id: 0n });
    dispatched += 1;
    recent!.push(event, cursor);
    listeners.notify(event, cursor);
  }

  /** Dispatches every ordered outbox event after `last` (and before `until`, if given) from the database. */
  async function repair(until?: Cursor) {
    for (;;) {
      const rows = await reader.readAfter(last!, REPAIR_BATCH);
      let stop = rows.length < REPAIR_BATCH;
      for (const row of rows) {
        const cursor = cursorOfRow(row);
        if (until && !isAfter(until, cursor)) {
          stop = true;
          break;
        }
        dispatch(decodeOutboxRow(row), cursor);
      }
      if (stop) return;
    }
  }

  function accept(event: LiveEvent) {
    lastReadAt = Date.now();
    return enqueue(async () => {
      const cursor = parseCursor(event.cursor);
      if (!last || !isAfter(cursor, last)) return; // already dispatched: a relay re-publish or our own repair
      if (event.prev && isAfter(parseCursor(event.prev), last)) {
        log.warn({ from: formatCursor(last), to: event.cursor }, 'gap in the event stream; repairing from the outbox');
        options.metrics?.gapsRepaired.inc();
        await repair(cursor);
        if (!isAfter(cursor, last)) return;
      }
      dispatch(event, cursor);
    });
  }

  /** Reads the outbox itself, unless a read is already queued: a slow database never piles them up. */
  function readOutbox() {
    if (reading) return;
    reading = true;
    lastReadAt = Date.now();
    void enqueue(() => repair()).finally(() => (reading = false));
  }

  /**
   * While the bus is down, read the outbox every tick (degraded, but live within a tick); when it
   * is up but has been quiet for a while, make sure nothing is waiting that it failed to bring.
   */
  function tick() {
    if (!bus.connected() || Date.now() - lastReadAt >= options.repairIntervalMs) readOutbox();
  }

  return {
    async start() {
      last = await reader.currentCursor(); // after everything committed before this instance started
      bound = last;
      recent = new RecentEvents(options.recentEvents, last, options.retentionDays * 86_400_000);
      unsubscribe = bus.subscribe(accept);
      bus.onResume(readOutbox);
      timer = setInterval(tick, Math.min(options.degradedPollMs, options.repairIntervalMs));
      timer.unref();
    },
    /** Registers a listener and returns the seam: the last cursor dispatched before it. */
    listen(routes: Route[], listener: HubListener): Cursor {
      added += routes.length;
      for (const route of routes) listeners.add(route, listener);
      return last!;
    },
    unlisten(routes: Route[], listener: HubListener) {
      for (const route of routes) listeners.delete(route, listener);
    },
    lastCursor: () => last,
    /** The latest events dispatched, for pollers to read from without a query; null before start. */
    recent: () => recent,
    /**
     * Whether the outbox holds nothing after `after` that this hub has dispatched, and `after` is a
     * cursor the outbox knows (no resync): then a read after it can only find events still on their
     * way to this hub, which a later read returns — answering "nothing new" skips none.
     */
    holdsNothingAfter(after: Cursor): boolean {
      if (!last || isAfter(last, after)) return false;
      return !isAfter(after, maxCursor(bound!, reader.orderedBound()));
    },
    stats: () => ({ dispatched, listeners: listeners.size, added }),
    /** Resolves once everything queued so far has been dispatched (tests, shutdown). */
    settle: () => chain,
    async stop() {
      clearInterval(timer);
      unsubscribe();
      await chain;
    },
  };
}

export type Hub = ReturnType<typeof createHub>;
