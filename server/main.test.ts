/**
 * Issue 6.4 (logs) and 6.6 — `server/main.ts` as a real child process, leading the relay beside an
 * in-process instance on the same Postgres and a private Redis: its logs are JSON lines; on SIGTERM
 * its sockets get 1012, it exits 0 within seconds, the other instance takes the relay over, and a
 * client that resumes there with its last cursor loses nothing and gets nothing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SpawnedApi, spawnApi, startRedisServer, type TestRedis } from '../test';
import {
  connectLive,
  GRADE_CHANGED,
  gqlOk,
  LIVE_CURSOR,
  type LiveDatabase,
  openLiveDatabase,
  startTestApp,
  strictlyIncreasing,
  type TestApp,
  waitFor,
} from '../test/live';
import { ackedSocket } from '../test/transport';

let ldb: LiveDatabase;
let redis: TestRedis;
let child: SpawnedApi;
let other: TestApp;
beforeAll(async () => {
  [ldb, redis] = await Promise.all([openLiveDatabase(), startRedisServer()]);
  child = await spawnApi({ databaseUrl: ldb.url, redisUrl: redis.url });
  // The child leads the relay (it started first); then the second instance joins.
  await waitFor(async () => (await (await fetch(`${child.baseUrl}/ready`)).json()).relay?.leader === true, {
    timeoutMs: 20_000,
    what: 'the child to lead',
  });
  other = await startTestApp({ databaseUrl: ldb.url, redisUrl: redis.url });
});
afterAll(async () => {
  await child?.kill();
  await other?.stop();
  await redis?.stop();
  await ldb?.close();
});

describe('logs', () => {
  it('are JSON lines (pino) on stdout: level, time, service, message', async () => {
    expect(child.otherLines).toEqual([]);
    const started = child.logs.items.find((l) => /^Homeroom API on /.test(l.msg))!;
    expect(started).toMatchObject({
      level: 30,
      service: 'homeroom-api',
      url: `http://127.0.0.1:${child.port}/graphql`,
      redis: true,
    });
    expect(typeof started.time).toBe('number');
    expect(Math.abs(Number(started.time) - Date.now())).toBeLessThan(120_000);
  });
});

describe('SIGTERM', () => {
  it('closes sockets 1012, exits 0 within seconds, hands the relay over; a client resuming elsewhere loses nothing', async () => {
    const math = ldb.f.course('MATH101');
    const token = await ldb.token('instructor@homeroom.test');
    const start = (await gqlOk(child.url, LIVE_CURSOR, {}, token)).liveCursor as string;
    expect(other.app.live.relay.isLeader()).toBe(false);

    // Two kinds of client on the child: graphql-ws's own client and a raw socket.
    const conn = connectLive(child.wsUrl, token);
    const raw = await ackedSocket(child.wsUrl, await ldb.token('admin@homeroom.test'));
    const stream = conn.subscribe<{ cursor: string }>(GRADE_CHANGED, { courseId: math.id, after: start });
    try {
      for (let i = 0; i < 3; i++) await ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[i], 50 + i);
      await stream.count(3, 20_000);

      // A mutation in flight: held inside the child by a lock on posts, taken before it arrives.
      const blocker = await ldb.sql.reserve();
      await blocker`begin`;
      await blocker`lock table posts in exclusive mode`;
      const inFlight = fetch(child.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: `mutation($c: ID!) { createPost(courseId: $c, body: "sent just before shutdown") { body } }`,
          variables: { c: math.id },
        }),
      }).then(
        async (response) => ({ status: response.status, body: await response.json() }),
        (error: Error & { cause?: { code?: string } }) => ({ failed: `${error.message} (${error.cause?.code})` }),
      );
      await waitFor(
        async () =>
          (
            await ldb.sql`select 1 from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query ilike '%posts%'`
          ).length > 0,
        {
          what: 'the mutation to wait on the lock',
        },
      );

      const signalled = Date.now();
      child.child.kill('SIGTERM');
      // Regression: in-flight requests were cut (their writes still committed). Once the child
      // accepts no new connection, let the mutation finish: it gets its response.
      await waitFor(
        async () =>
          fetch(`${child.baseUrl}/health`).then(
            () => false,
            () => true,
          ),
        { timeoutMs: 5_000, what: 'the child to stop accepting' },
      );
      await blocker`rollback`;
      blocker.release();
      expect(await inFlight).toEqual({
        status: 200,
        body: { data: { createPost: { body: 'sent just before shutdown' } } },
      });
      // Commits keep coming while it shuts down …
      for (let i = 3; i < 6; i++) await ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[i], 50 + i);
      const [closed] = await conn.closes.count(1, 10_000);
      expect(closed).toEqual({ code: 1012, reason: 'Server restarting: reconnect and resume' });
      expect(await raw.closed(10_000)).toEqual({ code: 1012, reason: 'Server restarting: reconnect and resume' });
      const exit = await child.exited;
      const took = Date.now() - signalled;
      expect(exit).toEqual({ code: 0, signal: null });
      expect(took, 'ms from SIGTERM to exit').toBeLessThan(5_000);
      expect(child.logs.items.some((l) => l.msg === 'shutting down' && l.signal === 'SIGTERM')).toBe(true);
      expect(child.otherLines).toEqual([]);

      // … and after it is gone.
      for (let i = 6; i < 9; i++) await ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[i], 50 + i);
      await waitFor(() => other.app.live.relay.isLeader(), {
        timeoutMs: 10_000,
        what: 'the other instance to take the relay over',
      });

      // The client resumes on the other instance after the last cursor it applied.
      const last = stream.cursors().at(-1)!;
      const resumed = connectLive(other.wsUrl, token);
      try {
        const expected = (await ldb.outbox(start))
          .filter((r) => r.topic === 'grade' && r.course_id === math.id)
          .map((r) => r.cursor);
        expect(expected).toHaveLength(9);
        const rest = resumed.subscribe<{ cursor: string }>(GRADE_CHANGED, { courseId: math.id, after: last });
        await rest.count(expected.length - stream.items.length, 20_000);
        const all = [...stream.cursors(), ...rest.cursors()];
        expect(all).toEqual(expected);
        expect(strictlyIncreasing(all)).toBe(true);
        // And it stays live there.
        await ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[9], 59);
        await rest.count(expected.length - stream.items.length + 1, 20_000);
      } finally {
        await resumed.dispose();
      }
    } finally {
      raw.close();
      await conn.dispose();
    }
  });
});
