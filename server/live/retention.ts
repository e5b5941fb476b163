import type { Sql } from 'postgres';
import type { Logger } from '../logger';
import type { Cursor } from './cursor';

/**
 * Deletes events older than the retention period in small batches (short transactions, no table
 * lock), never past what the relay has published, and records how far it pruned so a replay from
 * an older cursor is answered with a resync.
 */
export async function pruneOutbox(
  sql: Sql,
  options: { olderThanDays: number; upTo: Cursor; batch?: number; log?: Logger },
): Promise<number> {
  const batch = options.batch ?? 5000;
  let total = 0;
  for (;;) {
    const [result] = await sql<{ n: number; xid: string | null; id: string | null }[]>`
      with doomed as (
        select id from outbox
        where created_at < now() - make_interval(days => ${options.olderThanDays})
          and (xid, id) <= (${options.upTo.xid.toString()}::xid8, ${options.upTo.id.toString()}::bigint)
        order by xid, id
        limit ${batch}
      ), deleted as (
        delete from outbox o using doomed d where o.id = d.id returning o.xid, o.id
      ), newest as (
        select xid, id from deleted order by xid desc, id desc limit 1
      ), mark as (
        update outbox_state s set pruned_xid = n.xid, pruned_id = n.id
        from newest n
        where s.id = 1 and (s.pruned_xid is null or (n.xid, n.id) > (s.pruned_xid, s.pruned_id))
      )
      select (select count(*)::int from deleted) as n, (select xid::text from newest) as xid, (select id::text from newest) as id`;
    total += result.n;
    if (result.n < batch) break;
  }
  if (total > 0) options.log?.info({ deleted: total }, 'outbox retention');
  return total;
}
