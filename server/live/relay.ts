import postgres, { type Sql } from 'postgres';
import type { Logger } from '../logger';
import type { Metrics } from '../metrics';
import { type Cursor, formatCursor, ORIGIN } from './cursor';
import { cursorOfRow, decodeOutboxRow } from './event';
import type { EventBus } from './event-bus';
import { createOutboxReader } from './outbox';
import { pruneOutbox } from './retention';

// Any constant shared by every instance; spells "homeroom" in ASCII.
const RELAY_LOCK_KEY = 0x686f6d65726f6f6dn;

export type RelayOptions = {
  sql: Sql;
  /** The lock lives on a connection of its own, opened from this URL. */
  databaseUrl: string;
  bus: EventBus;
  log: Logger;
  /** Upper bound on delay when a NOTIFY is missed; also how often a follower tries to take over. */
  sweepMs: number;
  batchSize: number;
  retentionDays: number;
  retentionIntervalMs: number;
  metrics?: Metrics;
};

/** How stale the leader's lock check and its recorded published cursor may get while events keep coming. */
const CHECK_EVERY_MS = 200;

/**
 * Orders committed transactions (outbox_order()) and publishes their events in cursor order.
 * Exactly one instance leads, holding a Postgres advisory lock on a dedicated connection; if that
 * connection or process dies the lock is freed and a follower takes over within one sweep. NOTIFY
 * (sent at a writer's commit) only wakes the leader early.
 */
export function createRelay(options: RelayOptions) {
  const { sql, bus, log } = options;
  let lock: { sql: Sql; pid: number } | null = null;
  let leader = false;
  let stopped = false;
  let published: Cursor = ORIGIN;
  // What outbox_state says was published; behind `published` for at most CHECK_EVERY_MS while busy.
  let saved: Cursor = ORIGIN;
  let savedAt = 0;
  let lockCheckedAt = 0;
  let lastPublishAt = 0;
  let wake: (() => void) | null = null;
  // A NOTIFY that arrives while the relay is busy must not wait for the next sweep.
  let pending = false;
  let unlisten: (() => Promise<void>) | null = null;
  let loop: Promise<void> | null = null;
  let nextPrune = 0;

  // Whether a NOTIFY came since the last publishing pass began, and whether a pass (or a run of
  // full batches) a NOTIFY started is under way: while either holds, events may be ordered that
  // the hubs have not heard of yet.
  let notified = false;
  let passing = false;

  const nudge = () => {
    pending = true;
    notified = true;
    wake?.();
  };

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (pending) {
        pending = false;
        return resolve();
      }
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        pending = false;
        resolve();
      }
      wake = done;
    });

  /**
   * A one-connection client that never recycles itself (postgres.js would, after 30–60 min), so
   * the session that holds the lock lives as long as it can. Not a reserved pool connection:
   * postgres.js crashes the process when a reserved connection's backend dies (porsager/postgres#1208).
   */
  async function openLockConnection() {
    const client = postgres(options.databaseUrl, { max: 1, idle_timeout: 0, max_lifetime: 0, onnotice: () => {} });
    const [row] = await client<{ pid: number }[]>`select pg_backend_pid() as pid`;
    return { sql: client, pid: row.pid };
  }

  /** Leadership holds only while the session that took the lock is the one we are talking to. */
  async function stillHoldsLock(): Promise<boolean> {
    if (!lock) return false;
    const [row] = await lock.sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    return row.pid === lock.pid;
  }

  async function tryLead(): Promise<boolean> {
    lock ??= await openLockConnection();
    const [row] = await lock.sql<
      { locked: boolean }[]
    >`select pg_try_advisory_lock(${RELAY_LOCK_KEY.toString()}::bigint) as locked`;
    return row.locked;
  }

  async function becomeLeader() {
    leader = true;
    options.metrics?.relayLeader.set(1);
    const [state] = await lock!.sql<{ pos: string | null; id: string | null }[]>`
      select published_pos::text as pos, published_id::text as id from outbox_state where id = 1`;
    published = state?.pos ? { pos: BigInt(state.pos), id: BigInt(state.id ?? 0) } : ORIGIN;
    saved = published;
    const listener = await sql.listen('outbox', nudge, nudge);
    unlisten = listener.unlisten;
    log.info({ from: formatCursor(published) }, 'relay: leading');
  }

  async function publishBatch(): Promise<number> {
    // The leader orders, reads and writes on its own lock connection: a busy request pool cannot stall it.
    const reader = createOutboxReader(lock!.sql);
    await reader.order();
    const rows = await reader.readAfter(published, options.batchSize);
    if (rows.length === 0) {
      options.metrics?.relayLag.set(0);
      return 0;
    }
    let prev = formatCursor(published);
    for (const row of rows) {
      const event = decodeOutboxRow(row, prev);
      bus.publish(event);
      prev = event.cursor;
    }
    published = cursorOfRow(rows.at(-1)!);
    lastPublishAt = Date.now();
    options.metrics?.relayed.inc(rows.length);
    options.metrics?.relayLag.set((Date.now() - new Date(rows.at(-1)!.created_at).getTime()) / 1000);
    return rows.length;
  }

  /**
   * Records the published cursor: where a new leader starts and how far retention may prune. At
   * most every CHECK_EVERY_MS while busy (then when idle): a new leader that starts a little
   * behind re-publishes a few events, which every hub drops as already dispatched.
   */
  async function savePublished(idle: boolean) {
    if (published === saved || (!idle && Date.now() - savedAt < CHECK_EVERY_MS)) return;
    const cursor = published;
    await lock!
      .sql`update outbox_state set published_pos = ${cursor.pos.toString()}, published_id = ${cursor.id.toString()} where id = 1`;
    saved = cursor;
    savedAt = Date.now();
  }

  /** If the lock's session died (and the client reconnected), so did our leadership: looked at every CHECK_EVERY_MS. */
  async function checkLock() {
    if (Date.now() - lockCheckedAt < CHECK_EVERY_MS) return;
    if (!(await stillHoldsLock())) throw new Error('the relay lock connection was lost');
    lockCheckedAt = Date.now();
  }

  async function stepDown(reason: unknown) {
    if (leader && !stopped)
      log.warn({ err: reason instanceof Error ? reason.message : reason }, 'relay: lost leadership');
    else if (leader) log.info('relay: handed over leadership');
    leader = false;
    options.metrics?.relayLeader.set(0);
    await unlisten?.().catch(() => {});
    unlisten = null;
    const old = lock;
    lock = null;
    await old?.sql.end({ timeout: 1 }).catch(() => {});
  }

  async function run() {
    while (!stopped) {
      try {
        if (!leader) {
          if (await tryLead()) await becomeLeader();
          else {
            await sleep(options.sweepMs);
            continue;
          }
        }
        await checkLock();
        // A pass counts as "under way" only for what a NOTIFY announced (a plain sweep finds nothing,
        // or a missed wake-up's events, which are then merely late) and its full batches after it.
        passing ||= notified;
        notified = false;
        const n = await publishBatch().catch((error) => {
          passing = false;
          throw error;
        });
        passing &&= n === options.batchSize;
        await savePublished(n === 0);
        if (Date.now() >= nextPrune) {
          nextPrune = Date.now() + options.retentionIntervalMs;
          await pruneOutbox(lock!.sql, { olderThanDays: options.retentionDays, upTo: published, log });
        }
        if (n < options.batchSize) await sleep(options.sweepMs);
      } catch (error) {
        if (stopped) break;
        await stepDown(error);
        await sleep(options.sweepMs);
      }
    }
  }

  return {
    start() {
      loop = run();
    },
    isLeader: () => leader,
    /**
     * While leading: whether everything a NOTIFY announced has been published (no pass under way,
     * no wake-up waiting). `null` when another instance leads: this one cannot tell.
     */
    quiet: (): boolean | null => (leader ? !notified && !passing : null),
    published: () => published,
    /** Seconds since the leader last published; 0 when there was nothing to publish. */
    publishedCursor: () => formatCursor(published),
    lastPublishAt: () => lastPublishAt,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
      if (leader && lock) {
        await savePublished(true).catch(() => {});
        await lock.sql`select pg_advisory_unlock(${RELAY_LOCK_KEY.toString()}::bigint)`.catch(() => {});
      }
      await stepDown('stopping');
    },
  };
}

export type Relay = ReturnType<typeof createRelay>;
