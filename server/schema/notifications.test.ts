/**
 * Notifications: paging, unread counts, marking read and unread, only the caller's own.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type ApiHarness, SAM, startApi, UNKNOWN_ID } from '../../test/api/api';

let api: ApiHarness;
let sql: postgres.Sql;
const token = (email: string) => api.tokenFor(email);

beforeAll(async () => {
  api = await startApi();
  sql = api.sql;
});
afterAll(() => api?.stop());

describe('notifications', () => {
  const LIST = `query($first: Int, $after: String) { notifications(first: $first, after: $after) {
    unreadCount pageInfo { hasNextPage endCursor } edges { cursor node { id kind message link read createdAt } } } }`;
  let reader: string;
  let bearer: string;
  let ids: string[]; // newest first

  beforeAll(async () => {
    // A new student with nine notifications of their own, a minute apart; someone else has one too.
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, name, role, password_hash) values ('reader@homeroom.test', 'Rita Reader', 'STUDENT', 'x') returning id`;
    reader = user.id;
    bearer = await token('reader@homeroom.test');
    const rows = await sql<{ id: string }[]>`
      insert into notifications (user_id, kind, message, link, created_at)
      select ${reader}, 'ANNOUNCEMENT', 'Notice ' || i, '/notices/' || i, now() - make_interval(mins => i) from generate_series(1, 9) i
      returning id`;
    ids = rows.map((r) => r.id); // Notice 1 is the newest
  });

  it('pages newest first without repeats, with the unread count', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const { notifications: n }: { notifications: any } = await api.ok(LIST, { first: 4, after }, bearer);
      expect(n.unreadCount).toBe(9);
      seen.push(...n.edges.map((e: { node: { id: string } }) => e.node.id));
      expect(n.pageInfo.hasNextPage).toBe(page < 2);
      after = n.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids);
    const { notifications: first } = await api.ok(LIST, { first: 1 }, bearer);
    expect(first.edges[0].node).toMatchObject({
      kind: 'ANNOUNCEMENT',
      message: 'Notice 1',
      link: '/notices/1',
      read: false,
    });
  });

  it('marks one read and unread again, then all read; only the caller’s own', async () => {
    const MARK = `mutation($id: ID!, $read: Boolean) { markNotificationRead(id: $id, read: $read) { id read } }`;
    expect((await api.ok(MARK, { id: ids[0] }, bearer)).markNotificationRead).toEqual({ id: ids[0], read: true });
    expect((await api.ok(LIST, { first: 1 }, bearer)).notifications).toMatchObject({
      unreadCount: 8,
      edges: [{ node: { read: true } }],
    });
    expect((await api.ok(MARK, { id: ids[0], read: false }, bearer)).markNotificationRead).toEqual({
      id: ids[0],
      read: false,
    });
    expect((await api.ok(LIST, { first: 1 }, bearer)).notifications.unreadCount).toBe(9);

    await api.ok(MARK, { id: ids[3] }, bearer);
    const othersBefore = await sql`select id, read_at from notifications where user_id <> ${reader} order by id`;
    expect((await api.ok(`mutation { markAllNotificationsRead }`, {}, bearer)).markAllNotificationsRead).toBe(8);
    expect((await api.ok(LIST, { first: 20 }, bearer)).notifications.unreadCount).toBe(0);
    expect((await api.ok(`mutation { markAllNotificationsRead }`, {}, bearer)).markAllNotificationsRead).toBe(0);
    expect(await sql`select id, read_at from notifications where user_id <> ${reader} order by id`).toEqual(
      othersBefore,
    );
  });

  it("someone else's notification is NOT_FOUND (and stays as it was); a malformed id is BAD_USER_INPUT", async () => {
    const [theirs] = await sql<
      { id: string; read_at: Date | null }[]
    >`select id, read_at from notifications where user_id = ${api.f.user(SAM)} limit 1`;
    const MARK = `mutation($id: ID!) { markNotificationRead(id: $id) { id } }`;
    expect((await api.refused(MARK, { id: theirs.id }, bearer, 'NOT_FOUND')).message).toBe('Notification not found');
    expect((await api.refused(MARK, { id: theirs.id }, await token(ADMIN), 'NOT_FOUND')).message).toBe(
      'Notification not found',
    );
    await api.refused(MARK, { id: UNKNOWN_ID }, bearer, 'NOT_FOUND');
    await api.refused(MARK, { id: 'n-1' }, bearer, 'BAD_USER_INPUT');
    expect(await sql`select id, read_at from notifications where id = ${theirs.id}`).toEqual([theirs]);
  });

  it("pages one at a time through notifications made in one transaction (the seed's, via triggers)", async () => {
    const userId = api.f.user('student09@homeroom.test');
    const expected = await sql<
      { id: string }[]
    >`select id from notifications where user_id = ${userId} order by created_at desc, id desc`;
    const [{ instants }] =
      await sql`select count(distinct created_at)::int as instants from notifications where user_id = ${userId}`;
    expect(expected.length).toBeGreaterThan(instants); // several share one timestamp
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page++) {
      const { notifications: n }: { notifications: any } = await api.ok(
        LIST,
        { first: 1, after },
        await token('student09@homeroom.test'),
      );
      seen.push(...n.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!n.pageInfo.hasNextPage) break;
      after = n.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected.map((r) => r.id));
  });

  // Issue 18.5: another user's notification id as `after` paged from its timestamp (proof that it
  // existed, and when). A cursor is now a position (time, id) read from nothing but itself.
  it("a cursor is a position, not a reference: someone else's notification id in it reveals nothing", async () => {
    const [theirs] = await sql<{ id: string }[]>`select id from notifications where user_id <> ${reader} limit 1`;
    const at = (id: string) => Buffer.from(`${BigInt(Date.now()) * 1000n}:${id}`).toString('base64url');
    const page = async (id: string) =>
      (await api.ok(LIST, { first: 3, after: at(id) }, bearer)).notifications.edges.map(
        (e: { node: { id: string } }) => e.node.id,
      );
    const withTheirs = await page(theirs.id);
    expect(withTheirs).toEqual(await page('00000000-0000-4000-8000-00000000dead'));
    expect(withTheirs.every((id: string) => ids.includes(id))).toBe(true);
    await api.refused(LIST, { after: Buffer.from(theirs.id).toString('base64url') }, bearer, 'BAD_USER_INPUT');
    // Their own cursor pages on.
    const first = (await api.ok(LIST, { first: 1 }, bearer)).notifications;
    const next = await api.ok(LIST, { first: 1, after: first.pageInfo.endCursor }, bearer);
    expect(next.notifications.edges[0].node.id).toBe(ids[1]);
  });

  it('refuses bad page arguments', async () => {
    await api.refused(LIST, { first: 0 }, bearer, 'BAD_USER_INPUT');
    await api.refused(LIST, { first: 1000 }, bearer, 'BAD_USER_INPUT');
    await api.refused(LIST, { after: '%%%' }, bearer, 'BAD_USER_INPUT');
  });
});
