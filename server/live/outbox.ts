import type { Sql } from 'postgres';
import { type Cursor, ORIGIN } from './cursor';
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

  /** Events older than this were deleted by retention: a cursor behind it cannot be replayed. */
  async function prunedThrough(): Promise<Cursor> {
    const [row] = await sql<{ xid: string | null; id: string | null }[]>`
      select pruned_xid::text as xid, pruned_id::text as id from outbox_state where id = 1`;
    return row?.xid ? { xid: BigInt(row.xid), id: BigInt(row.id ?? 0) } : ORIGIN;
  }

  return { readAfter, settledCursor, prunedThrough };
}

export type OutboxReader = ReturnType<typeof createOutboxReader>;
