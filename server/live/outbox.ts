import type { Sql } from 'postgres';
import { type Cursor, isAfter, ORIGIN } from './cursor';
import type { OutboxRow, Topic } from './event';

export type ReadFilter = {
  topics?: Topic[];
  /** Only events of these courses; events without a course are kept when `audienceUserId` matches. */
  courseIds?: string[];
  audienceUserId?: string;
  /** Inclusive upper bound. */
  upTo?: Cursor;
};

const text = (c: bigint) => c.toString();

/**
 * Reads of the outbox. Every read takes only rows whose transaction is older than every
 * transaction still in flight (the snapshot's xmin): ids are assigned before commit, so this is
 * what guarantees no row can ever show up behind a cursor that was already handed out.
 */
export function createOutboxReader(sql: Sql) {
  async function readAfter(after: Cursor, limit: number, filter: ReadFilter = {}): Promise<OutboxRow[]> {
    const { topics, courseIds, audienceUserId, upTo } = filter;
    return sql<OutboxRow[]>`
      select xid::text as xid, id::text as id, topic, action, course_id, audience_user_id, entity_id, data, created_at
      from outbox
      where xid < pg_snapshot_xmin(pg_current_snapshot())
        and (xid, id) > (${text(after.xid)}::xid8, ${text(after.id)}::bigint)
        ${upTo ? sql`and (xid, id) <= (${text(upTo.xid)}::xid8, ${text(upTo.id)}::bigint)` : sql``}
        ${topics ? sql`and topic = any(${topics}::text[])` : sql``}
        ${
          courseIds && audienceUserId
            ? sql`and (course_id = any(${courseIds}::uuid[]) or audience_user_id = ${audienceUserId})`
            : courseIds
              ? sql`and course_id = any(${courseIds}::uuid[])`
              : audienceUserId
                ? sql`and audience_user_id = ${audienceUserId}`
                : sql``
        }
      -- Qualified: the bare names would sort by the text aliases above ("200" < "50").
      order by outbox.xid, outbox.id
      limit ${limit}`;
  }

  /**
   * The cursor below which everything is settled: every transaction older than the snapshot's
   * xmin has committed or aborted. Data read after this call includes every event up to it.
   */
  async function settledCursor(): Promise<Cursor> {
    const [row] = await sql<{ xmin: string }[]>`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`;
    return { xid: BigInt(row.xmin), id: 0n };
  }

  /**
   * Whether events after `after` can be replayed exactly: not when retention deleted some of them,
   * nor when the cursor names a transaction that has not even started (a restored or replaced
   * database, another environment) — either way the client must refetch.
   */
  async function canReplayFrom(after: Cursor): Promise<boolean> {
    const [row] = await sql<{ pruned_xid: string | null; pruned_id: string | null; xmax: string }[]>`
      select pruned_xid::text, pruned_id::text, pg_snapshot_xmax(pg_current_snapshot())::text as xmax
      from outbox_state where id = 1`;
    // (xmax, 0) is the boundary liveCursor hands out when nothing is in flight; past it, nothing exists yet.
    const xmax = BigInt(row.xmax);
    if (after.xid > xmax || (after.xid === xmax && after.id > 0n)) return false;
    const pruned = row.pruned_xid ? { xid: BigInt(row.pruned_xid), id: BigInt(row.pruned_id ?? 0) } : ORIGIN;
    return !isAfter(pruned, after);
  }

  return { readAfter, settledCursor, canReplayFrom };
}

export type OutboxReader = ReturnType<typeof createOutboxReader>;
