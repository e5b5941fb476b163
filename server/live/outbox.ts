import type { Sql } from 'postgres';
import { type Cursor, formatCursor, isAfter, maxCursor, ORIGIN } from './cursor';
import type { LiveEvent, OutboxRow, Topic } from './event';

export type ReadFilter = {
  topics?: Topic[];
  /** Only events of these courses; events without a course are kept when `audienceUserId` matches. */
  courseIds?: string[];
  audienceUserId?: string;
  /** Inclusive upper bound. */
  upTo?: Cursor;
};

const text = (c: bigint) => c.toString();

/** The read's filter in memory (a read from the hub's recent events): the same conditions as `kept` below, bar `upTo`. */
export function keptBy({ topics, courseIds, audienceUserId }: Omit<ReadFilter, 'upTo'>) {
  return (event: LiveEvent): boolean =>
    (!topics || topics.includes(event.topic)) &&
    (courseIds && audienceUserId
      ? (event.courseId !== null && courseIds.includes(event.courseId)) || event.audienceUserId === audienceUserId
      : courseIds
        ? event.courseId !== null && courseIds.includes(event.courseId)
        : audienceUserId
          ? event.audienceUserId === audienceUserId
          : true);
}

/**
 * Reads of the outbox in commit order. A row is readable once `outbox_order()` gave its
 * transaction a position (outbox_commits), which happens only after that transaction committed;
 * positions are given and committed one caller at a time, so every read sees a prefix of them and
 * no row can ever show up behind a cursor that was already handed out (docs/realtime.md §2).
 * Transactions still open anywhere on the server hold back nothing but their own rows.
 */
export function createOutboxReader(sql: Sql) {
  // Two index-backed parts, then the first `limit` of both: the rest of `after`'s own transaction
  // (outbox_xid_id_idx from after.id, in id order, stopped by the limit: a transaction of 50,000
  // events is paged through, not re-read from its start for every page), and the transactions
  // after it (outbox_commits_pkey from after.pos, then outbox_xid_id_idx per commit, at most
  // `limit` rows of each, an incremental sort by id within a commit, stopped by the limit). EXPLAIN in outbox-plan.test.ts.
  async function read(after: Cursor, limit: number, filter: ReadFilter): Promise<OutboxRow[]> {
    const { topics, courseIds, audienceUserId, upTo } = filter;
    const pos = text(after.pos);
    /** The filter's conditions for rows `o` of `after`'s own commit, or of the commits `c` after it. */
    const kept = (which: 'same' | 'later') => {
      const at = which === 'same' ? sql`${pos}::bigint` : sql`c.pos`;
      return sql`
      ${upTo ? sql`and ${at} <= ${text(upTo.pos)}::bigint and (${at} < ${text(upTo.pos)}::bigint or o.id <= ${text(upTo.id)}::bigint)` : sql``}
      ${topics ? sql`and o.topic = any(${topics}::text[])` : sql``}
      ${
        courseIds && audienceUserId
          ? sql`and (o.course_id = any(${courseIds}::uuid[]) or o.audience_user_id = ${audienceUserId})`
          : courseIds
            ? sql`and o.course_id = any(${courseIds}::uuid[])`
            : audienceUserId
              ? sql`and o.audience_user_id = ${audienceUserId}`
              : sql``
      }`;
    };
    const columns = sql`o.id::text as id, o.topic, o.action, o.course_id, o.audience_user_id, o.entity_id, o.data, o.created_at, o.id as id_order`;
    const samePos = sql`${pos}::bigint`;
    return sql<OutboxRow[]>`
      select pos, id, topic, action, course_id, audience_user_id, entity_id, data, created_at from (
        (select ${pos}::text as pos, ${samePos} as pos_order, ${columns}
          from outbox o
          where o.xid = (select xid from outbox_commits where pos = ${samePos}) and o.id > ${text(after.id)}::bigint
            ${kept('same')}
          order by o.id
          limit ${limit})
        union all
        (select c.pos::text as pos, c.pos as pos_order, o.*
          from outbox_commits c
          cross join lateral (
            select ${columns} from outbox o where o.xid = c.xid ${kept('later')} order by o.id limit ${limit}
          ) o
          where c.pos > ${samePos}
          order by c.pos, o.id_order
          limit ${limit})
      ) page
      order by pos_order, id_order
      limit ${limit}`;
  }

  /**
   * Gives the transactions committed since the last call their positions (concurrent callers
   * queue on a lock in the database) and returns the cursor just after every ordered event: every
   * transaction that committed before this call is at or below it, every later one above it.
   */
  async function order(): Promise<Cursor> {
    const [row] = await sql<{ pos: string }[]>`select outbox_order()::text as pos`;
    const cursor = { pos: BigInt(row.pos) + 1n, id: 0n };
    ordered = maxCursor(ordered, cursor);
    return cursor;
  }
  /** The highest cursor order() returned here: no later than the cursor after every position given. */
  let ordered = ORIGIN;

  // liveCursor orders first, so it is after everything committed before the request. Requests
  // arriving while a call is in flight share the next one (which starts after they arrived): at
  // most one call in flight and one waiting per instance, however many clients reconnect at once.
  let inFlight: Promise<Cursor> | null = null;
  let queued: Promise<Cursor> | null = null;
  function start(): Promise<Cursor> {
    const call = order();
    inFlight = call;
    const clear = () => {
      if (inFlight === call) inFlight = null;
    };
    call.then(clear, clear);
    return call;
  }
  /** The cursor after everything committed before this call (order(), shared by concurrent callers). */
  function currentCursor(): Promise<Cursor> {
    if (queued) return queued;
    if (!inFlight) return start();
    const after = inFlight.catch(() => undefined);
    queued = after.then(() => {
      queued = null;
      return start();
    });
    return queued;
  }

  /**
   * Whether events after `after` can be replayed exactly: not when retention deleted some of them,
   * nor when the cursor is past any position given so far (a restored or replaced database,
   * another environment) — either way the client must refetch.
   */
  async function canReplayFrom(after: Cursor): Promise<boolean> {
    const [row] = await sql<{ pruned_pos: string | null; pruned_id: string | null; ordered_pos: string }[]>`
      select pruned_pos::text, pruned_id::text, ordered_pos::text from outbox_state where id = 1`;
    if (isAfter(after, { pos: BigInt(row.ordered_pos) + 1n, id: 0n })) return false;
    const pruned = row.pruned_pos ? { pos: BigInt(row.pruned_pos), id: BigInt(row.pruned_id ?? 0) } : ORIGIN;
    return !isAfter(pruned, after);
  }

  return {
    /**
     * The rows after `after` that match `filter`, at most `limit`, in cursor order. Identical reads
     * in flight at once share one query (a crowd of pollers of one course asking from the same
     * cursor): the rows are shared, so callers must not change them.
     */
    readAfter: shareConcurrent(
      (after: Cursor, limit: number, filter: ReadFilter = {}) => read(after, limit, filter),
      (after, limit, filter = {}) => readKey(after, limit, filter),
    ),
    order,
    currentCursor,
    canReplayFrom: shareConcurrent(canReplayFrom, formatCursor),
    orderedBound: () => ordered,
  };
}

export type OutboxReader = ReturnType<typeof createOutboxReader>;

function readKey(after: Cursor, limit: number, { topics, courseIds, audienceUserId, upTo }: ReadFilter) {
  return [
    formatCursor(after),
    limit,
    topics?.join(',') ?? '*',
    courseIds?.join(',') ?? '*',
    audienceUserId ?? '*',
    upTo ? formatCursor(upTo) : '*',
  ].join('|');
}

/** `fn`, except that calls with the same key while one is in flight get that call's promise. */
function shareConcurrent<A extends unknown[], R>(fn: (...args: A) => Promise<R>, key: (...args: A) => string) {
  const inFlight = new Map<string, Promise<R>>();
  return (...args: A): Promise<R> => {
    const k = key(...args);
    const pending = inFlight.get(k);
    if (pending) return pending;
    const call = fn(...args);
    inFlight.set(k, call);
    const clear = () => inFlight.delete(k);
    call.then(clear, clear);
    return call;
  };
}
