import type { Sql } from 'postgres';
import type { Logger } from '../logger';
import type { Cursor } from './cursor';

/**
 * Deletes whole commits (their outbox rows and position) ordered longer ago than the retention
 * period, oldest first, in small batches (short transactions, no table lock), never one the relay
 * has not published entirely (`pos < upTo.pos`), and records how far it pruned so a replay from an
 * older cursor is answered with a resync. Reads outbox_commits by its primary key from the start
 * and stops at the first commit that is young enough: positions are given in time order.
 */
export async function pruneOutbox(
  sql: Sql,
  options: { olderThanDays: number; upTo: Cursor; batch?: number; log?: Logger },
): Promise<number> {
  const batch = options.batch ?? 1000;
  let total = 0;
  for (;;) {
    const [result] = await sql<{ events: number; commits: number }[]>`
      with head as (
        select pos, xid, ordered_at from outbox_commits
        where pos < ${options.upTo.pos.toString()}::bigint
        order by pos
        limit ${batch}
      ), doomed as (
        select pos, xid from head
        where pos < coalesce(
          (select min(pos) from head where ordered_at >= now() - make_interval(days => ${options.olderThanDays})),
          9223372036854775807)
      ), gone as (
        delete from outbox o using doomed d where o.xid = d.xid returning d.pos, o.id
      ), forgotten as (
        delete from outbox_commits c using doomed d where c.pos = d.pos returning c.pos
      ), newest as (
        select pos, id from gone order by pos desc, id desc limit 1
      ), mark as (
        update outbox_state s set pruned_pos = n.pos, pruned_id = n.id
        from newest n
        where s.id = 1 and (s.pruned_pos is null or (n.pos, n.id) > (s.pruned_pos, s.pruned_id))
      )
      select (select count(*)::int from gone) as events, (select count(*)::int from forgotten) as commits`;
    total += result.events;
    if (result.commits < batch) break;
  }
  if (total > 0) options.log?.info({ deleted: total }, 'outbox retention');
  return total;
}
