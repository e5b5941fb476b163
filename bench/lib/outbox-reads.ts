import postgres from 'postgres';
import { type Cursor, ORIGIN } from '../../server/live/cursor';
import { cursorOfRow } from '../../server/live/event';
import { createOutboxReader } from '../../server/live/outbox';
import { cpuSeconds, round } from './procfs';

/** One way of reading the whole outbox in relay pages: what it costs per event, with and without a transaction held open. */
export type OutboxReadCost = {
  rule: string;
  events: number;
  pages: number;
  wallMicrosPerEvent: number;
  postgresCpuMicrosPerEvent: number;
  /** Of 10 events committed while another database of the server holds a transaction open, how many this rule reads. */
  readableBesideOpenTransaction: number;
};

const PAGE = 500;

// The rule before issue 15 (docs/realtime.md §2 until then): only rows older than the server-wide
// xmin, in (xid, id) order. Kept here, and only here, so one run shows both.
async function readOldRule(sql: postgres.Sql, after: { xid: string; id: string }) {
  return sql<{ xid: string; id: string }[]>`
    select xid::text as xid, id::text as id, topic, action, course_id, audience_user_id, entity_id, data, created_at
    from outbox
    where xid < pg_snapshot_xmin(pg_current_snapshot()) and (xid, id) > (${after.xid}::xid8, ${after.id}::bigint)
    order by outbox.xid, outbox.id
    limit ${PAGE}`;
}

/**
 * The relay's read cost, old rule against new, on the bench database after the scenarios filled its
 * outbox: every event read in pages of 500 from the start (the new rule calls outbox_order() before
 * each page, as the relay does), timing the wall clock and the Postgres backend's own CPU
 * (/proc/<pid>/stat). Then 10 events committed while a transaction is held open in another
 * database: the old rule reads none of them until it ends.
 */
export async function measureOutboxReads(databaseUrl: string): Promise<OutboxReadCost[]> {
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  const otherUrl = new URL(databaseUrl);
  otherUrl.pathname = '/postgres';
  const other = postgres(otherUrl.toString(), { max: 1, onnotice: () => {} });
  try {
    const [{ pid }] = await sql<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const reader = createOutboxReader(sql);

    async function measure(rule: string, readAll: () => Promise<{ events: number; pages: number }>) {
      await readAll(); // warm: plans, buffers
      const cpu0 = cpuSeconds(pid);
      const t0 = process.hrtime.bigint();
      const { events, pages } = await readAll();
      const wall = Number(process.hrtime.bigint() - t0) / 1000;
      const cpu = (cpuSeconds(pid) - cpu0) * 1e6;
      return { rule, events, pages, wall, cpu };
    }
    const oldRule = async () => {
      let after = { xid: '0', id: '0' };
      let events = 0;
      let pages = 0;
      for (;;) {
        const rows = await readOldRule(sql, after);
        pages += 1;
        events += rows.length;
        if (rows.length < PAGE) return { events, pages };
        after = rows.at(-1)!;
      }
    };
    const newRule = async () => {
      let after: Cursor = ORIGIN;
      let events = 0;
      let pages = 0;
      for (;;) {
        await reader.order();
        const rows = await reader.readAfter(after, PAGE);
        pages += 1;
        events += rows.length;
        if (rows.length < PAGE) return { events, pages };
        after = cursorOfRow(rows.at(-1)!);
      }
    };
    const runs = [
      await measure('old: xid < server-wide xmin, (xid, id) order', oldRule),
      await measure('new: outbox_order() + commit order (pos, id)', newRule),
    ];

    // A write transaction open in another database, then 10 events committed here.
    const before = [(await oldRule()).events, (await newRule()).events];
    const open = await other.reserve();
    let beside: number[];
    try {
      await open`begin`;
      await open`select pg_current_xact_id()`;
      for (let i = 0; i < 10; i++)
        await sql`insert into outbox (topic, action, entity_id) values ('bench-probe', 'CREATED', gen_random_uuid())`;
      beside = [(await oldRule()).events - before[0], (await newRule()).events - before[1]];
    } finally {
      await open`rollback`.catch(() => {});
      open.release();
    }
    return runs.map((r, i) => ({
      rule: r.rule,
      events: r.events,
      pages: r.pages,
      wallMicrosPerEvent: round(r.wall / Math.max(1, r.events)),
      postgresCpuMicrosPerEvent: round(r.cpu / Math.max(1, r.events)),
      readableBesideOpenTransaction: beside[i],
    }));
  } finally {
    await sql.end({ timeout: 5 });
    await other.end({ timeout: 5 });
  }
}
