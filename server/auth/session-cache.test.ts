/**
 * The per-instance memory of active sessions: a known session asks Postgres nothing, and an
 * account event (or this instance's own change) makes the next request look it up again. The
 * rows are changed behind the cache's back, in SQL, so only an event can tell it.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../../db/client';
import { createTestDatabase, type TestDatabase } from '../../test';
import { createAccountWatch } from '../live/accounts';
import type { LiveEvent } from '../live/event';
import type { Hub, HubListener } from '../live/hub';
import { ACCOUNT_TOPIC } from '../live/topic';
import { changeAccess, createSessionCache } from './session-cache';

let tdb: TestDatabase;
let sql: postgres.Sql;
let database: ReturnType<typeof createDatabase>;
let userId: string;

beforeAll(async () => {
  tdb = await createTestDatabase({ seeded: true });
  sql = postgres(tdb.url, { max: 1, onnotice: () => {} });
  database = createDatabase(tdb.url, { max: 2 });
  [{ id: userId }] = await sql<{ id: string }[]>`select id from users where email = 'student01@homeroom.test'`;
});
afterAll(async () => {
  await database?.stop();
  await sql?.end();
  await tdb?.drop();
});

/** An account watch fed by hand, as the hub would feed it from the outbox. */
function watchedCache(bus = { up: true }) {
  let listener: HubListener | undefined;
  const hub = {
    listen: (_routes: unknown, l: HubListener) => {
      listener = l;
    },
    unlisten: () => {},
  } as unknown as Hub;
  const accounts = createAccountWatch(hub);
  accounts.start();
  const hear = (sessionId: string | null, reason: string) =>
    listener!.hear(
      { topic: ACCOUNT_TOPIC, audienceUserId: userId, data: { sessionId, reason } } as unknown as LiveEvent,
      { pos: 0n, id: 0n },
    );
  return { cache: createSessionCache(accounts, () => bus.up), hear };
}

async function newSession(): Promise<string> {
  const [row] = await sql<{ id: string }[]>`
    insert into sessions (user_id, user_agent, address) values (${userId}, 'test', '127.0.0.1') returning id`;
  return row.id;
}
const endInSql = (id: string) => sql`update sessions set ended_at = now(), ended_reason = 'revoked' where id = ${id}`;

describe('session cache', () => {
  it('answers a known active session from memory until its account event arrives', async () => {
    const { cache, hear } = watchedCache();
    const id = await newSession();
    expect(await cache.state(database.db, id)).toMatchObject({ userId, ended: null });
    await endInSql(id);
    // No event yet: this instance still knows the session as active.
    expect(await cache.state(database.db, id)).toMatchObject({ ended: null });
    hear(id, 'revoked');
    expect(await cache.state(database.db, id)).toMatchObject({ ended: 'revoked' });
  });

  it('a role change or deactivation (an event without a session) drops every session of the user', async () => {
    const { cache, hear } = watchedCache();
    const [a, b] = [await newSession(), await newSession()];
    await cache.state(database.db, a);
    await cache.state(database.db, b);
    await sql`update users set role = 'INSTRUCTOR' where id = ${userId}`;
    expect((await cache.state(database.db, a))?.role).toBe('STUDENT');
    hear(null, 'role-changed');
    expect((await cache.state(database.db, a))?.role).toBe('INSTRUCTOR');
    expect((await cache.state(database.db, b))?.role).toBe('INSTRUCTOR');
    await sql`update users set role = 'STUDENT' where id = ${userId}`;
    hear(null, 'role-changed');
  });

  it('keeps no session whose lookup an event overtook: the row it read may predate the change', async () => {
    const { cache, hear } = watchedCache();
    const id = await newSession();
    const lookup = cache.state(database.db, id);
    hear(id, 'revoked'); // heard while the lookup is in flight
    expect(await lookup).toMatchObject({ ended: null });
    await endInSql(id);
    expect(await cache.state(database.db, id)).toMatchObject({ ended: 'revoked' });
  });

  it('while the bus is down remembers nothing: every request looks its session up', async () => {
    const bus = { up: true };
    const { cache } = watchedCache(bus);
    const id = await newSession();
    await cache.state(database.db, id);
    bus.up = false;
    await endInSql(id);
    expect(await cache.state(database.db, id)).toMatchObject({ ended: 'revoked' });
    expect(cache.size()).toBe(0);
  });

  it('keeps no ended session, and changeAccess drops the user’s sessions on this instance at once', async () => {
    const { cache } = watchedCache();
    const ended = await newSession();
    await endInSql(ended);
    expect(await cache.state(database.db, ended)).toMatchObject({ ended: 'revoked' });
    expect(cache.size()).toBe(0);

    const id = await newSession();
    await cache.state(database.db, id);
    expect(cache.size()).toBe(1);
    await changeAccess({ db: database.db, live: { sessions: cache } }, { userId, sessionId: null }, (tx) =>
      tx.execute(`update sessions set ended_at = now(), ended_reason = 'signed-out' where id = '${id}'`),
    );
    expect(cache.size()).toBe(0);
    expect(await cache.state(database.db, id)).toMatchObject({ ended: 'signed-out' });
  });
});
