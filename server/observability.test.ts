/**
 * Issue 6.4 — observability: /metrics exposes the series the README documents and they move with
 * what happens; /ready tells the truth about the database, the bus (a private Redis, stopped and
 * restarted here) and the hub. (JSON logs are checked on a spawned `server/main.ts` in
 * main.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, type TestRedis } from '../test';
import {
  connectLive,
  GRADE_CHANGED,
  gql,
  type LiveDatabase,
  newStreams,
  openLiveDatabase,
  POLL_CHANGED,
  startTestApp,
  type TestApp,
  waitFor,
} from '../test/live';
import { ackedSocket, type GradeWatch, metric, parseMetrics, runOperation, watchGrades } from '../test/transport';

let ldb: LiveDatabase;
let redis: TestRedis;
let api: TestApp;
beforeAll(async () => {
  [ldb, redis] = await Promise.all([openLiveDatabase(), startRedisServer()]);
  api = await startTestApp({ databaseUrl: ldb.url, redisUrl: redis.url, env: { LIVE_REPAIR_INTERVAL_MS: '500' } });
  await waitFor(() => api.app.live.relay.isLeader(), { what: 'the relay to lead' });
});
afterAll(async () => {
  await api?.stop();
  await redis?.stop();
  await ldb?.close();
});

const scrape = async () => {
  const response = await fetch(`${api.baseUrl}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return parseMetrics(await response.text());
};

describe('/metrics', () => {
  it('exposes every documented series and the process metrics', async () => {
    const text = await (await fetch(`${api.baseUrl}/metrics`)).text();
    for (const name of [
      'homeroom_open_sockets',
      'homeroom_subscriptions_active',
      'homeroom_events_relayed_total',
      'homeroom_relay_lag_seconds',
      'homeroom_relay_leader',
      'homeroom_deliveries_total',
      'homeroom_resyncs_total',
      'homeroom_slow_consumers_total',
      'homeroom_gap_repairs_total',
      'homeroom_graphql_errors_total',
      'homeroom_process_cpu_user_seconds_total',
      'homeroom_process_resident_memory_bytes',
      'homeroom_nodejs_eventloop_lag_seconds',
      'homeroom_nodejs_heap_size_used_bytes',
    ]) {
      expect(text, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    }
    const samples = parseMetrics(text);
    expect(metric(samples, 'homeroom_relay_leader')).toBe(1);
    expect(metric(samples, 'homeroom_process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
  });

  it('open sockets rise with a socket and fall when it closes', async () => {
    const base = metric(await scrape(), 'homeroom_open_sockets');
    const ws = await ackedSocket(api.wsUrl, await ldb.token('student@homeroom.test'));
    expect(metric(await scrape(), 'homeroom_open_sockets')).toBe(base + 1);
    ws.close();
    await ws.closed();
    await waitFor(async () => metric(await scrape(), 'homeroom_open_sockets') === base, {
      what: 'the gauge to fall back',
    });
  });

  it('subscriptions by topic rise and fall; events relayed and deliveries by topic count what happened', async () => {
    const math = ldb.f.course('MATH101');
    const before = await scrape();
    const conn = connectLive(api.wsUrl, await ldb.token('instructor@homeroom.test'));
    try {
      const registered = newStreams(api);
      const grades = [
        conn.subscribe(GRADE_CHANGED, { courseId: math.id }),
        conn.subscribe(GRADE_CHANGED, { courseId: math.id }),
      ];
      conn.subscribe(POLL_CHANGED, { courseId: math.id });
      await registered(3);
      const during = await scrape();
      expect(metric(during, 'homeroom_subscriptions_active', { topic: 'grade' })).toBe(
        metric(before, 'homeroom_subscriptions_active', { topic: 'grade' }) + 2,
      );
      expect(metric(during, 'homeroom_subscriptions_active', { topic: 'poll' })).toBe(
        metric(before, 'homeroom_subscriptions_active', { topic: 'poll' }) + 1,
      );

      await ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[0], 61);
      await ldb.setGrade(math.assessments.Midterm.id, math.id, math.studentIds[1], 62);
      await Promise.all(grades.map((s) => s.count(2, 15_000)));
      const after = await scrape();
      // Each grade commit is a grade event and the student's notification event. (The hub may
      // have fetched them from the outbox itself before the relay published: wait for the relay.)
      await waitFor(
        async () =>
          metric(await scrape(), 'homeroom_events_relayed_total') - metric(before, 'homeroom_events_relayed_total') >=
          4,
        { what: 'the relay to count 4 events' },
      );
      expect(
        metric(after, 'homeroom_deliveries_total', { topic: 'grade' }) -
          metric(before, 'homeroom_deliveries_total', { topic: 'grade' }),
      ).toBe(4);
      expect(metric(after, 'homeroom_relay_lag_seconds')).toBeGreaterThanOrEqual(0);
    } finally {
      await conn.dispose();
    }
    await waitFor(
      async () =>
        metric(await scrape(), 'homeroom_subscriptions_active', { topic: 'grade' }) ===
        metric(before, 'homeroom_subscriptions_active', { topic: 'grade' }),
      {
        what: 'the grade subscriptions gauge to fall back',
      },
    );
    expect(metric(await scrape(), 'homeroom_subscriptions_active', { topic: 'poll' })).toBe(
      metric(before, 'homeroom_subscriptions_active', { topic: 'poll' }),
    );
  });

  it('resyncs count RESYNC signals', async () => {
    const before = metric(await scrape(), 'homeroom_resyncs_total');
    const conn = connectLive(api.wsUrl, await ldb.token('instructor@homeroom.test'));
    try {
      // A cursor from the future (a restored database): answered with RESYNC.
      const stream = conn.subscribe<{ action: string }>(GRADE_CHANGED, {
        courseId: ldb.f.course('MATH101').id,
        after: '999999999.1',
      });
      const [first] = await stream.count(1, 15_000);
      expect(first.action).toBe('RESYNC');
    } finally {
      await conn.dispose();
    }
    expect(metric(await scrape(), 'homeroom_resyncs_total')).toBe(before + 1);
  });

  it('GraphQL errors by code count refusals on every transport (HTTP, graphql-ws, SSE)', async () => {
    const phys = ldb.f.course('PHYS110').id;
    const student = await ldb.token('student@homeroom.test');
    const errors = async (code: string) => metric(await scrape(), 'homeroom_graphql_errors_total', { code });
    const before = Object.fromEntries(
      await Promise.all(
        ['UNAUTHENTICATED', 'FORBIDDEN', 'GRAPHQL_VALIDATION_FAILED'].map(async (code) => [code, await errors(code)]),
      ),
    );
    await gql(api.url, '{ courses { id } }'); // UNAUTHENTICATED
    await gql(api.url, `query($id: ID!) { course(id: $id) { id } }`, { id: phys }, student); // FORBIDDEN
    await gql(api.url, '{ nope }'); // GRAPHQL_VALIDATION_FAILED
    expect({
      UNAUTHENTICATED: (await errors('UNAUTHENTICATED')) - before.UNAUTHENTICATED,
      FORBIDDEN: (await errors('FORBIDDEN')) - before.FORBIDDEN,
      GRAPHQL_VALIDATION_FAILED: (await errors('GRAPHQL_VALIDATION_FAILED')) - before.GRAPHQL_VALIDATION_FAILED,
    }).toEqual({ UNAUTHENTICATED: 1, FORBIDDEN: 1, GRAPHQL_VALIDATION_FAILED: 1 });

    // Regression: errors sent over graphql-ws were never counted (the metric hooked Yoga's HTTP pipeline only).
    const overHttp = await errors('FORBIDDEN');
    const socket = await ackedSocket(api.wsUrl, student);
    try {
      const { results } = await runOperation(socket, GRADE_CHANGED, { courseId: phys });
      expect(results.flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    } finally {
      socket.close();
    }
    const overWs = await errors('FORBIDDEN');
    const sse = await fetch(api.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${student}` },
      body: JSON.stringify({ query: GRADE_CHANGED, variables: { courseId: phys } }),
    });
    expect(await sse.text()).toContain('"code":"FORBIDDEN"');
    expect({ graphqlWs: overWs - overHttp, sse: (await errors('FORBIDDEN')) - overWs }).toEqual({
      graphqlWs: 1,
      sse: 1,
    });
  });
});

describe('/ready', () => {
  let watch: GradeWatch;
  afterAll(() => watch?.dispose());

  it('200 with the database, the bus (Redis) and the hub; "degraded" (still 200) while Redis is down, and events keep coming; "ok" again after it restarts', async () => {
    const ready = async () => {
      const response = await fetch(`${api.baseUrl}/ready`);
      return { status: response.status, body: (await response.json()) as Record<string, any> };
    };
    await waitFor(async () => (await ready()).status === 200, { what: '/ready to be 200' });
    const up = await ready();
    expect(up.body).toMatchObject({
      ready: true,
      status: 'ok',
      database: 'ok',
      bus: 'ok',
      relay: { leader: true },
      hub: { lastCursor: expect.stringMatching(/^\d+\.\d+$/), readsOutbox: false },
    });

    watch = await watchGrades(api, ldb);
    await redis.stop();
    await waitFor(async () => (await ready()).body.bus === 'disconnected', {
      timeoutMs: 15_000,
      what: '/ready to see Redis gone',
    });
    const down = await ready();
    // Degraded, not unready: a load balancer keeps the instance, whose hub reads the outbox itself.
    expect({ status: down.status, body: down.body }).toMatchObject({
      status: 200,
      body: { ready: true, status: 'degraded', database: 'ok', bus: 'disconnected', hub: { readsOutbox: true } },
    });
    expect((await fetch(`${api.baseUrl}/health`)).status).toBe(200);
    await watch.alive(20_000); // while Redis is still down

    await redis.restart();
    await waitFor(async () => (await ready()).body.status === 'ok', {
      timeoutMs: 20_000,
      what: '/ready to be ok again',
    });
    expect(await ready()).toMatchObject({ status: 200, body: { ready: true, status: 'ok', bus: 'ok' } });
    // The subscriber kept on the instance still gets events (the hub repairs from the outbox).
    await watch.alive(20_000);
  });
});
