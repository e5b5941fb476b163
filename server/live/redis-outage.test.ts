/**
 * A Redis outage costs a blink (issue 15): with the bus down, each instance's hub reads the
 * outbox itself every LIVE_DEGRADED_POLL_MS, so subscribers on both instances keep receiving
 * events while Redis is still away, and /ready answers 200 "degraded" rather than draining a
 * healthy fleet. The quiet-bus repair is set to a minute here, so only the degraded reads can
 * deliver during the outage. Logs the commit→subscriber latency during the outage.
 */
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
  loadMemberships,
  openLiveDatabase,
  startTestApp,
  strictlyIncreasing,
  type TestApp,
  waitFor,
} from '../../test/live';

const ENV = { LIVE_REPAIR_INTERVAL_MS: '60000', LIVE_DEGRADED_POLL_MS: '500' };

let ldb: LiveDatabase;
let redis: TestRedis;
let a: TestApp;
let b: TestApp;
const connections: LiveConnection[] = [];
beforeAll(async () => {
  [ldb, redis] = await Promise.all([openLiveDatabase(), startRedisServer()]);
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

const ready = async (app: TestApp) => {
  const response = await fetch(`${app.baseUrl}/ready`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describe('Redis down for a few seconds, two instances', () => {
  it('subscribers on both instances get every event while Redis is down, each once, in order; /ready says degraded, still 200', async () => {
    const math = ldb.f.course('MATH101');
    const instructor = ldb.persona('instructor@homeroom.test');
    const token = await ldb.token('instructor@homeroom.test');
    await ldb.outbox(); // the seed's events ordered: the cursor below is after them
    const after = (await gqlOk(a.url, LIVE_CURSOR, {}, token)).liveCursor as string;
    const streams = [a, b].map((app) => {
      const conn = connectLive(app.wsUrl, token);
      connections.push(conn);
      return conn.subscribe<{ cursor: string; grade: { id: string; score: number } }>(GRADE_CHANGED, {
        courseId: math.id,
        after,
      });
    });
    const write = (i: number) =>
      ldb.setGrade(math.assessments['Homework 1'].id, math.id, math.studentIds[i % 20], i / 4);
    const expected = async () =>
      expectedFor(await ldb.outbox(after), instructor, await loadMemberships(ldb.sql), {
        topic: 'grade',
        courseId: math.id,
      }).map((r) => r.cursor);

    for (let i = 0; i < 5; i++) await write(i);
    for (const s of streams) await s.count(5);

    await redis.stop();
    await waitFor(() => [a, b].every((x) => !x.app.live.bus.connected()), { what: 'both buses to see Redis gone' });
    for (const app of [a, b]) {
      expect(await ready(app)).toMatchObject({
        status: 200,
        body: { ready: true, status: 'degraded', bus: 'disconnected', hub: { readsOutbox: true } },
      });
    }

    // One at a time while Redis is down: each reaches both instances' subscribers before the next.
    const latencies: number[] = [];
    for (let i = 5; i < 15; i++) {
      const before = streams.map((s) => s.items.length);
      const committedAt = performance.now();
      await write(i);
      await Promise.all(
        streams.map((s, n) => s.until(() => s.items.length > before[n], 15_000, `event ${i} during the outage`)),
      );
      latencies.push(performance.now() - committedAt);
    }
    expect([a, b].every((x) => !x.app.live.bus.connected())).toBe(true); // all of it with Redis still down
    const sorted = [...latencies].sort((x, y) => x - y);
    console.log(
      `commit→both subscribers with Redis down: median ${sorted[5].toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms (n=10, LIVE_DEGRADED_POLL_MS=500)`,
    );

    await redis.restart();
    await waitFor(() => [a, b].every((x) => x.app.live.bus.connected()), {
      timeoutMs: 15_000,
      what: 'both buses to reconnect',
    });
    for (const app of [a, b]) expect((await ready(app)).body).toMatchObject({ status: 'ok', bus: 'ok' });
    for (let i = 15; i < 20; i++) await write(i);

    const all = await expected();
    expect(all).toHaveLength(20);
    for (const s of streams) {
      await s.find((e) => e.cursor === all.at(-1), 15_000, 'the last event after the outage');
      expect(s.cursors()).toEqual(all);
      expect(strictlyIncreasing(s.cursors())).toBe(true);
      expect(s.errors).toEqual([]);
    }
  });
});
