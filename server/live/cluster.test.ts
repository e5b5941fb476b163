/**
 * Several instances, one database, one Redis (live contract 2): exactly one relay, fan-out through
 * Redis, take-over when the leader stops, and nothing lost or repeated when Redis restarts or the
 * relay's LISTEN or lock connection is killed. Logs the measured latencies for the README.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type TestRedis } from '../../test';
import {
  connectLive,
  expectedFor,
  GRADE_CHANGED,
  gqlOk,
  LIVE_CURSOR,
  type LiveConnection,
  type LiveDatabase,
  type LiveStream,
  loadMemberships,
  newStreams,
  openLiveDatabase,
  type Persona,
  startTestApp,
  strictlyIncreasing,
  type TestApp,
  waitFor,
} from '../../test/live';

const ENV = { LIVE_REPAIR_INTERVAL_MS: '500' };

let ldb: LiveDatabase;
let sql: postgres.Sql;
let redis: TestRedis;
let a: TestApp;
let b: TestApp;
const connections: LiveConnection[] = [];

beforeAll(async () => {
  [ldb, redis] = await Promise.all([openLiveDatabase(), startRedisServer()]);
  sql = ldb.sql;
  a = await startTestApp({ databaseUrl: ldb.url, redisUrl: redis.url, env: ENV });
  await waitFor(() => a.app.live.relay.isLeader(), { what: 'A to lead' });
  b = await startTestApp({ databaseUrl: ldb.url, redisUrl: redis.url, env: ENV });
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.dispose()));
  await b?.stop();
  await a?.stop();
  await redis?.stop();
  await ldb?.close();
});

const instances = () => [a, b].filter((x) => !stopped.has(x));
const stopped = new Set<TestApp>();
const leaders = () => instances().filter((x) => x.app.live.relay.isLeader());

type Watch = {
  name: string;
  stream: LiveStream<{ cursor: string }>;
  viewer: Persona;
  courseId?: string;
  after: string;
};

/** An instructor (MATH) and a student (all their courses) subscribed on `app` after `after`. */
async function watch(app: TestApp, name: string, after: string): Promise<Watch[]> {
  const math = ldb.f.course('MATH101');
  const instructor = connectLive(app.wsUrl, await ldb.token('instructor@homeroom.test'));
  const student = connectLive(app.wsUrl, await ldb.token('student@homeroom.test'));
  connections.push(instructor, student);
  return [
    {
      name: `${name}: instructor`,
      stream: instructor.subscribe(GRADE_CHANGED, { courseId: math.id, after }),
      viewer: ldb.persona('instructor@homeroom.test'),
      courseId: math.id,
      after,
    },
    {
      name: `${name}: student`,
      stream: student.subscribe(GRADE_CHANGED, { after }),
      viewer: ldb.persona('student@homeroom.test'),
      after,
    },
  ];
}

const cursorNow = async () =>
  (await gqlOk(instances()[0].url, LIVE_CURSOR, {}, await ldb.token('admin@homeroom.test'))).liveCursor as string;

let noteCounter = 0;
/** One committed grade change in MATH (each its own transaction); `student` defaults to cycling through the course. */
async function write(studentId?: string) {
  const math = ldb.f.course('MATH101');
  const n = ++noteCounter;
  await sql`update grades set note = ${`n${n}`} where assessment_id = ${math.assessments['Homework 1'].id} and student_id = ${studentId ?? math.studentIds[n % math.studentIds.length]}`;
}

/** Writes a sentinel both viewers may see, then checks every watch got exactly the visible events, in order. */
async function expectExactlyOnce(watches: Watch[]) {
  await write(ldb.f.user('student@homeroom.test'));
  const memberships = await loadMemberships(sql);
  for (const w of watches) {
    const expected = expectedFor(await ldb.outbox(w.after), w.viewer, memberships, {
      topic: 'grade',
      courseId: w.courseId,
    }).map((r) => r.cursor);
    await w.stream.find((e) => e.cursor === expected.at(-1), 20_000, `the sentinel (${w.name})`);
    expect(w.stream.errors, w.name).toEqual([]);
    expect(w.stream.cursors(), w.name).toEqual(expected);
    expect(strictlyIncreasing(w.stream.cursors()), w.name).toBe(true);
  }
}

const lockHolders = async () =>
  (
    await sql<{ pid: number }[]>`
    select pid from pg_locks where locktype = 'advisory' and granted and database = (select oid from pg_database where datname = current_database())`
  ).map((r) => r.pid);

const stats = (samples: number[]) => {
  const s = [...samples].sort((x, y) => x - y);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(1);
  return `median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${s.at(-1)!.toFixed(1)} ms (n=${s.length})`;
};

describe('two instances, one Redis', () => {
  it('exactly one relay leads', () => {
    expect(leaders()).toEqual([a]);
    expect(b.app.live.relay.isLeader()).toBe(false);
  });

  it('a mutation on A reaches a subscriber on B exactly once; commit→subscriber latency', async () => {
    const math = ldb.f.course('MATH101');
    const instructorToken = await ldb.token('instructor@homeroom.test');
    const onB = connectLive(b.wsUrl, instructorToken);
    const onA = connectLive(a.wsUrl, instructorToken);
    connections.push(onB, onA);
    const [onBReady, onAReady] = [newStreams(b), newStreams(a)];
    const streamB = onB.subscribe<{ cursor: string; grade: { id: string; score: number } }>(GRADE_CHANGED, {
      courseId: math.id,
    });
    const streamA = onA.subscribe<{ cursor: string }>(GRADE_CHANGED, { courseId: math.id });
    await onBReady(1);
    await onAReady(1);

    const record = /* GraphQL */ `mutation ($a: ID!, $s: ID!, $score: Float!) { recordGrade(assessmentId: $a, studentId: $s, score: $score) { id score } }`;
    const viaApi: number[] = [];
    const viaSqlB: number[] = [];
    const viaSqlA: number[] = [];
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      const { recordGrade } = await gqlOk(
        a.url,
        record,
        { a: math.assessments.Midterm.id, s: math.studentIds[i], score: 50 + i },
        instructorToken,
      );
      const t1 = performance.now();
      const event = await streamB.find(
        (e) => e.grade?.id === recordGrade.id && e.grade.score === 50 + i,
        10_000,
        `grade ${i} on B`,
      );
      viaApi.push(performance.now() - t1);
      expect(event.grade.score).toBe(recordGrade.score);
      void t0;
    }
    for (let i = 0; i < 15; i++) {
      const countB = streamB.items.length;
      const countA = streamA.items.length;
      await write();
      const t1 = performance.now();
      await Promise.all([
        streamB.count(countB + 1).then(() => viaSqlB.push(performance.now() - t1)),
        streamA.count(countA + 1).then(() => viaSqlA.push(performance.now() - t1)),
      ]);
    }
    // Exactly once: after a sentinel, B holds each MATH grade event of the period once.
    await expectExactlyOnce([
      {
        name: 'B',
        stream: streamB,
        viewer: ldb.persona('instructor@homeroom.test'),
        courseId: math.id,
        after: streamB.items[0].cursor.replace(/\.\d+$/, '.0'),
      },
    ]);
    console.log(`[live latency] recordGrade on A → subscriber on B (from the mutation's response): ${stats(viaApi)}`);
    console.log(`[live latency] SQL commit → subscriber on B (follower, via Redis): ${stats(viaSqlB)}`);
    console.log(`[live latency] SQL commit → subscriber on A (leader, via Redis): ${stats(viaSqlA)}`);
  });

  it('pg_terminate_backend of the relay’s LISTEN connection loses nothing', async () => {
    const after = await cursorNow();
    const watches = [...(await watch(a, 'A', after)), ...(await watch(b, 'B', after))];
    for (let i = 0; i < 10; i++) await write();
    const listeners = await sql<{ pid: number }[]>`
      select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%' and pid <> pg_backend_pid()`;
    expect(listeners).toHaveLength(1); // only the leader listens
    const [{ killed }] = await sql<{ killed: boolean }[]>`select pg_terminate_backend(${listeners[0].pid}) as killed`;
    expect(killed).toBe(true);
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) await write();
    await expectExactlyOnce(watches);
    console.log(
      `[live] after killing the LISTEN backend: 10 writes + sentinel delivered ${(performance.now() - t0).toFixed(0)} ms after the kill`,
    );
    await waitFor(
      async () =>
        (
          await sql`select 1 from pg_stat_activity where datname = current_database() and query ilike 'listen%' and pid <> ${listeners[0].pid}`
        ).length === 1,
      {
        what: 'the relay to LISTEN again',
      },
    );
  });

  // Regression: the lock once lived on a reserved pool connection; when its backend died,
  // postgres.js threw an uncaught TypeError (porsager/postgres#1208): a real API process exited,
  // and where the exception was swallowed the relay hung as a leader without the lock.
  it('pg_terminate_backend of the relay’s lock connection: exactly one leader again, nothing lost', async () => {
    const after = await cursorNow();
    const watches = [...(await watch(a, 'A', after)), ...(await watch(b, 'B', after))];
    for (let i = 0; i < 10; i++) await write();
    const [holder] = await lockHolders();
    await sql`select pg_terminate_backend(${holder})`;
    for (let i = 0; i < 20; i++) await write();
    await waitFor(async () => (await lockHolders()).some((pid) => pid !== holder), { what: 'a new lock holder' });
    await waitFor(() => leaders().length === 1, { what: 'exactly one leader' });
    await expectExactlyOnce(watches);
    expect(leaders()).toHaveLength(1);
  });

  it('Redis restarts mid-stream: subscribers on both instances miss nothing and get nothing twice', async () => {
    const after = await cursorNow();
    const watches = [...(await watch(a, 'A', after)), ...(await watch(b, 'B', after))];
    for (let i = 0; i < 20; i++) await write();

    await redis.stop();
    await waitFor(() => instances().every((x) => !x.app.live.bus.connected()), {
      what: 'both buses to notice Redis is gone',
    });
    for (let i = 0; i < 20; i++) await write();
    // While Redis is away each hub finds the events in the outbox itself (LIVE_REPAIR_INTERVAL_MS).
    const memberships = await loadMemberships(sql);
    for (const w of watches) {
      const expected = expectedFor(await ldb.outbox(w.after), w.viewer, memberships, {
        topic: 'grade',
        courseId: w.courseId,
      }).map((r) => r.cursor);
      await w.stream.find((e) => e.cursor === expected.at(-1), 15_000, `events written during the outage (${w.name})`);
    }

    await redis.restart();
    await waitFor(() => instances().every((x) => x.app.live.bus.connected()), {
      timeoutMs: 15_000,
      what: 'both buses to reconnect',
    });
    for (let i = 0; i < 20; i++) await write();
    await expectExactlyOnce(watches);
  });

  it('the leader stops mid-burst: the follower takes over and every subscriber gets every event once', async () => {
    const [leader] = leaders();
    const follower = instances().find((x) => x !== leader)!;
    const after = await cursorNow();
    const registered = newStreams(follower);
    const watches = await watch(follower, 'follower', after);
    await registered(2);

    let firstPublish: number | null = null;
    let stopping: Promise<{ t0: number; t1: number }> | null = null;
    const burst = (async () => {
      for (let i = 0; i < 120; i++) {
        await write();
        if (i === 40) stopping = stopLeader();
      }
    })();
    async function stopLeader() {
      const t0 = performance.now();
      stopped.add(leader);
      await leader.stop();
      const t1 = performance.now();
      const wall = Date.now();
      const at = await waitFor(
        () =>
          follower.app.live.relay.isLeader() && follower.app.live.relay.lastPublishAt() >= wall - 5
            ? follower.app.live.relay.lastPublishAt()
            : 0,
        {
          intervalMs: 2,
          timeoutMs: 10_000,
          what: 'the follower to publish as leader',
        },
      );
      firstPublish = performance.now() - (Date.now() - at);
      return { t0, t1 };
    }
    await burst;
    const { t0, t1 } = await stopping!;
    await expectExactlyOnce(watches);
    expect(leaders()).toEqual([follower]);
    console.log(
      `[live take-over] leader stop() took ${(t1 - t0).toFixed(0)} ms; first event published by the new leader ${(firstPublish! - t1).toFixed(0)} ms after it returned (${(firstPublish! - t0).toFixed(0)} ms after stop began; RELAY_SWEEP_MS=${follower.config.live.relaySweepMs})`,
    );
  });
});
