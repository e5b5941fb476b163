/**
 * A change of access bites at once on every instance (two instances, one Postgres, one Redis):
 * a deactivation, a revoked session or a role change made on A closes the user's sockets on B
 * with 4403 and the reason, ends their SSE streams on B, and B refuses their next HTTP request.
 * Logs the delay from the admin's answer to the close on the other instance (target ≤ 1 s).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startRedisServer, type TestRedis } from '../../test';
import {
  connectLive,
  GRADE_CHANGED,
  gql,
  gqlOk,
  type LiveConnection,
  type LiveDatabase,
  newStreams,
  openLiveDatabase,
  sseSubscribe,
  startTestApp,
  type TestApp,
  waitFor,
} from '../../test/live';

let ldb: LiveDatabase;
let redis: TestRedis;
let a: TestApp;
let b: TestApp;
const connections: LiveConnection[] = [];
const delays: Record<string, number> = {};

beforeAll(async () => {
  [ldb, redis] = await Promise.all([openLiveDatabase(), startRedisServer()]);
  a = await startTestApp({ databaseUrl: ldb.url, redisUrl: redis.url });
  await waitFor(() => a.app.live.relay.isLeader(), { what: 'A to lead' });
  b = await startTestApp({ databaseUrl: ldb.url, redisUrl: redis.url });
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.dispose()));
  await b?.stop();
  await a?.stop();
  await redis?.stop();
  await ldb?.close();
  console.log('account change on A → socket closed on B:', delays);
});

const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }`;
const login = async (app: TestApp, email: string) =>
  (await gqlOk(app.url, LOGIN, { email, password: 'homeroom' })).login.token as string;
const admin = () => login(a, 'admin@homeroom.test');

/** A socket on B with one live subscription, registered with B's hub. */
async function socketOnB(token: string) {
  const registered = newStreams(b);
  const conn = connectLive(b.wsUrl, token);
  connections.push(conn);
  const stream = conn.subscribe(GRADE_CHANGED, {});
  await registered(1);
  return { conn, stream };
}

/** Runs the change on A and measures until the socket on B reports its close. */
async function timedClose(name: string, conn: LiveConnection, change: () => Promise<unknown>) {
  await change();
  const answered = Date.now();
  const [closed] = await conn.closes.count(1, 5_000);
  delays[name] = Date.now() - answered;
  return closed;
}

describe('a change of access on A, on B', () => {
  it('deactivateUser: the socket on B closes 4403 "Account deactivated", SSE on B ends, B refuses HTTP and renewal', async () => {
    const email = 'student12@homeroom.test';
    const token = await login(a, email);
    const { conn, stream } = await socketOnB(token);
    const registered = newStreams(b);
    const sse = await sseSubscribe(b.url, GRADE_CHANGED, {}, token);
    await registered(1);
    const adminToken = await admin();

    const logged = vi.spyOn(b.app.log, 'info');
    const closed = await timedClose('deactivation', conn, () =>
      gqlOk(a.url, `mutation($id: ID!) { deactivateUser(id: $id) { id } }`, { id: ldb.f.user(email) }, adminToken),
    );
    expect(closed).toEqual({ code: 4403, reason: 'Account deactivated' });
    // B says what it closed and why: one line for the change, with the count.
    expect(logged).toHaveBeenCalledWith(
      expect.objectContaining({ userId: ldb.f.user(email), reason: 'deactivated', sockets: 1, closeCode: 4403 }),
      'sockets closed: access changed',
    );
    logged.mockRestore();
    await stream.ended();
    await sse.ended();
    expect(sse.events.items.at(-1)?.errors?.[0]).toMatchObject({
      message: 'Account deactivated',
      extensions: { code: 'UNAUTHENTICATED' },
    });

    const http = await gql(b.url, `{ courses { id } }`, {}, token);
    expect(http.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
    const renew = await gql(b.url, `mutation { renewToken { token } }`, {}, token);
    expect(renew.errors?.[0]).toMatchObject({ message: 'Account deactivated: ask an administrator' });
    // A new socket with the old token is refused at connect.
    const again = connectLive(b.wsUrl, token);
    connections.push(again);
    expect((await again.closes.count(1, 5_000))[0]).toEqual({
      code: 4403,
      reason: 'Account deactivated: ask an administrator',
    });
  });

  it('revokeSession: only that session’s socket on B closes ("Session revoked"); the other session’s stays and delivers', async () => {
    const email = 'student13@homeroom.test';
    const phone = await login(a, email);
    const laptop = await login(a, email);
    const onPhone = await socketOnB(phone);
    const onLaptop = await socketOnB(laptop);
    const { mySessions } = await gqlOk(b.url, `{ mySessions { id current } }`, {}, laptop);
    const phoneSession = mySessions.find((s: { current: boolean }) => !s.current).id;

    const closed = await timedClose('revocation', onPhone.conn, () =>
      gqlOk(a.url, `mutation($id: ID!) { revokeSession(id: $id) { id } }`, { id: phoneSession }, laptop),
    );
    expect(closed).toEqual({ code: 4403, reason: 'Session revoked: sign in again' });

    // The laptop's socket is still open: a grade of theirs still arrives.
    const math = ldb.f.course('MATH101');
    const me = ldb.f.user(email);
    await ldb.sql`insert into enrolments (course_id, student_id) values (${math.id}, ${me}) on conflict do nothing`;
    await ldb.setGrade(math.assessments.Midterm.id, math.id, me, 64);
    await onLaptop.stream.find((e: { grade: { score: number } }) => e.grade?.score === 64);
    expect(onLaptop.conn.closes.items).toEqual([]);
  });

  it('updateUser role: the socket on B closes 4403 "Role changed: renew your token"; renewal on B gives the new role', async () => {
    const email = 'student14@homeroom.test';
    const token = await login(a, email);
    const { conn } = await socketOnB(token);
    const adminToken = await admin();
    const closed = await timedClose('role change', conn, () =>
      gqlOk(
        a.url,
        `mutation($id: ID!) { updateUser(id: $id, role: INSTRUCTOR) { id } }`,
        { id: ldb.f.user(email) },
        adminToken,
      ),
    );
    expect(closed).toEqual({ code: 4403, reason: 'Role changed: renew your token' });
    expect((await gqlOk(b.url, `{ me { role } }`, {}, token)).me.role).toBe('INSTRUCTOR');
    const renewed = await gqlOk(b.url, `mutation { renewToken { token user { role } } }`, {}, token);
    expect(renewed.renewToken.user.role).toBe('INSTRUCTOR');
    // The renewed token connects again.
    const registered = newStreams(b);
    const back = connectLive(b.wsUrl, renewed.renewToken.token);
    connections.push(back);
    back.subscribe(GRADE_CHANGED, {});
    await registered(1);
    expect(back.closes.items).toEqual([]);
  });
});
