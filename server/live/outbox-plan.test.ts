/**
 * Outbox reads stay index-backed (issue 15): the plans Postgres picks for the relay's read, a
 * replay or `updates` page and outbox_order() itself, on 100,000 events in 20,000 transactions over
 * ten courses, captured with auto_explain. Run with HOMEROOM_PRINT_PLANS=1 to print them.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test';
import { parseCursor } from './cursor';
import { createOutboxReader } from './outbox';

let db: TestDatabase;
let sql: postgres.Sql;
const plans: string[] = [];
beforeAll(async () => {
  db = await createTestDatabase();
  // One connection: the auto_explain settings below are per session.
  sql = postgres(db.url, { max: 1, onnotice: (notice) => plans.push(String(notice.message)) });
  await sql`set synchronous_commit = off`;
  await sql.unsafe(`
    do $$ begin
      for i in 1..20000 loop
        insert into outbox (topic, action, course_id, entity_id)
        select 'grade', 'UPDATED', ('00000000-0000-0000-0000-00000000000' || (i % 10))::uuid, gen_random_uuid()
        from generate_series(1, 5);
        commit;
      end loop;
    end $$`);
  await sql`select outbox_order()`;
  await sql`analyze outbox`;
  await sql`analyze outbox_commits`;
  await sql.unsafe(`
    load 'auto_explain';
    set auto_explain.log_min_duration = 0;
    set auto_explain.log_nested_statements = on;
    set auto_explain.log_level = notice;
    set client_min_messages = notice`);
});
afterAll(async () => {
  await sql?.end({ timeout: 5 });
  await db?.drop();
});

/** The plan of every statement `work` runs, with the session's plan_cache_mode set to `mode`. */
async function plansOf(mode: 'auto' | 'force_generic_plan', work: () => Promise<unknown>) {
  await sql.unsafe(`set plan_cache_mode = ${mode}`);
  plans.length = 0;
  // A prepared statement switches to its generic plan after five runs: run it more often than that.
  for (let i = 0; i < 7; i++) await work();
  const captured = plans.filter((p) => !p.includes('plan_cache_mode'));
  if (process.env.HOMEROOM_PRINT_PLANS) console.log(captured.slice(-1).join('\n'));
  return captured;
}

describe('outbox reads are index-backed', () => {
  it('reading after a cursor (relay, hub repair, replay, updates) walks outbox_commits_pkey, then outbox_xid_id_idx', async () => {
    const reader = createOutboxReader(sql);
    const [{ pos }] = await sql<{ pos: string }[]>`select (max(pos) - 3000)::text as pos from outbox_commits`;
    const after = parseCursor(`${pos}.0`);
    const filter = {
      topics: ['grade' as const],
      courseIds: ['00000000-0000-0000-0000-000000000001'],
      audienceUserId: '00000000-0000-0000-0000-000000000002',
    };
    const reads = {
      relay: () => reader.readAfter(after, 500),
      updates: () => reader.readAfter(after, 200, filter),
      // A replay up to the seam: 200 transactions.
      replay: () => reader.readAfter(after, 500, { ...filter, upTo: parseCursor(`${BigInt(pos) + 200n}.0`) }),
    };
    for (const [name, read] of Object.entries(reads)) {
      for (const mode of ['auto', 'force_generic_plan'] as const) {
        const captured = await plansOf(mode, read);
        expect(captured.length, `${name} ${mode}`).toBeGreaterThanOrEqual(7);
        for (const plan of captured) {
          expect(plan, `${name} ${mode}`).toMatch(/Index (Only )?Scan using outbox_commits_pkey/);
          expect(plan, `${name} ${mode}`).toMatch(/Index Scan using outbox_xid_id_idx/);
          expect(plan, `${name} ${mode}`).not.toMatch(/Seq Scan/);
        }
      }
    }
  });

  it('a transaction of 20,000 events is paged through: each page reads its 500 rows, not the transaction from its start', async () => {
    await sql.unsafe(`
      insert into outbox (topic, action, course_id, entity_id)
      select 'grade', 'UPDATED', '00000000-0000-0000-0000-000000000001'::uuid, gen_random_uuid()
      from generate_series(1, 20000)`);
    await sql`select outbox_order()`;
    await sql`analyze outbox`;
    const reader = createOutboxReader(sql);
    const [{ pos, id }] = await sql<{ pos: string; id: string }[]>`
      select c.pos::text as pos, (min(o.id) + 15000)::text as id
      from outbox_commits c join outbox o on o.xid = c.xid
      group by c.pos order by c.pos desc limit 1`;
    await sql.unsafe('set auto_explain.log_analyze = on');
    /** The most rows any node of the plan produced (actual): not the 15,000 before the cursor, nor the whole 20,000. */
    const mostRows = (plan: string) =>
      Math.max(...[...plan.matchAll(/actual time=[\d.]+\.\.[\d.]+ rows=(\d+)/g)].map((m) => Number(m[1])));
    try {
      // In the middle of it.
      const inside = await plansOf('auto', () => reader.readAfter(parseCursor(`${pos}.${id}`), 500));
      for (const plan of inside) {
        expect(plan).toMatch(/Index Cond: \(\(xid = \(InitPlan 1\)\.col1\) AND \(id > /);
        expect(mostRows(plan)).toBeLessThanOrEqual(500);
      }
      // Entering it from the commit before.
      const entering = await plansOf('auto', () => reader.readAfter(parseCursor(`${BigInt(pos) - 1n}.0`), 500));
      for (const plan of entering) expect(mostRows(plan)).toBeLessThanOrEqual(500);
      const page = await reader.readAfter(parseCursor(`${pos}.${id}`), 500);
      expect(page).toHaveLength(500);
      expect(page[0].id).toBe(String(BigInt(id) + 1n));
    } finally {
      await sql.unsafe('set auto_explain.log_analyze = off');
    }
  });

  it('outbox_order() finds new transactions through outbox_xid_id_idx, however many events are already ordered', async () => {
    const captured = await plansOf('auto', () => sql`select outbox_order()`);
    const fresh = captured.filter((p) => p.includes('pg_snapshot_xmax'));
    if (process.env.HOMEROOM_PRINT_PLANS) console.log(fresh[0]);
    expect(fresh.length).toBeGreaterThanOrEqual(7);
    for (const plan of fresh) {
      expect(plan).toMatch(/outbox_xid_id_idx/);
      expect(plan).not.toMatch(/Seq Scan on outbox /);
    }
  });

  it('outbox_order() stays on outbox_xid_id_idx without statistics too (a fresh database, a bulk load before autovacuum analyzes)', async () => {
    const fresh = await createTestDatabase();
    const own = postgres(fresh.url, { max: 1, onnotice: () => {} });
    try {
      await own.unsafe(`
        do $$ begin
          for i in 1..400 loop
            insert into outbox (topic, action, entity_id) select 'grade', 'UPDATED', gen_random_uuid() from generate_series(1, 5);
            commit;
          end loop;
        end $$`);
      const seqScans = async () => {
        await own`select pg_stat_force_next_flush()`;
        const [row] = await own<
          { n: string }[]
        >`select seq_scan::text as n from pg_stat_user_tables where relname = 'outbox'`;
        return Number(row.n);
      };
      const before = await seqScans();
      await own`select outbox_order()`;
      await own`insert into outbox (topic, action, entity_id) values ('grade', 'UPDATED', gen_random_uuid())`;
      await own`select outbox_order()`;
      expect(await seqScans()).toBe(before);
    } finally {
      await own.end({ timeout: 5 });
      await fresh.drop();
    }
  });
});
