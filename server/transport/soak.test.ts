/**
 * Issue 18.6 — soak: bursts of the patterns that used to leak, on loopback — graphql-ws operation
 * ids completed and reused (18.1), subscriptions refused over HTTP (18.2), SSE past the per-user cap
 * (18.3) — leave /metrics' active subscriptions, the hub's listeners and the heap where they
 * started. Counts are fixed and every wait is bounded; nothing here is timed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../../test';
import { GRADE_CHANGED, type LiveDatabase, openLiveDatabase, sseSubscribe, waitFor } from '../../test/live';
import { ackedSocket, parseMetrics } from '../../test/transport';

const SSE_CAP = 5;
let ldb: LiveDatabase;
let api: TestApp;
let instructor: string;
let student: string;
let courseId: string;
beforeAll(async () => {
  ldb = await openLiveDatabase();
  api = await startTestApp({ databaseUrl: ldb.url, env: { SSE_MAX_STREAMS_PER_USER: String(SSE_CAP) } });
  instructor = await ldb.token('instructor@homeroom.test', 3600);
  student = await ldb.token('student@homeroom.test', 3600);
  courseId = ldb.f.course('MATH101').id;
});
afterAll(async () => {
  await api?.stop();
  await ldb?.close();
});

/** A full collection, so what is measured is what stays reachable (the app runs in this process). */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function heapUsed() {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** Live streams registered with the hub (each listens to its topic, `membership` and `account`). */
const streams = () => api.app.live.hub.stats().listeners / 3;
async function activeSubscriptions() {
  const samples = parseMetrics(await (await fetch(`${api.baseUrl}/metrics`)).text());
  return samples.filter((s) => s.name === 'homeroom_subscriptions_active').reduce((n, s) => n + s.value, 0);
}

const subscribe = (id: string) => ({
  id,
  type: 'subscribe',
  payload: { query: GRADE_CHANGED, variables: { courseId } },
});

/** 18.1: per socket, subscribe/complete one id 40 times, subscribe it once more, close. */
async function reusedIds(sockets: number) {
  await Promise.all(
    Array.from({ length: sockets }, async () => {
      const ws = await ackedSocket(api.wsUrl, instructor);
      for (let i = 0; i < 40; i++) {
        await ws.send(subscribe('X'));
        await ws.send({ id: 'X', type: 'complete' });
      }
      await ws.send(subscribe('X'));
      ws.close();
      await ws.closed();
    }),
  );
}

/** 18.2: subscriptions asked for as application/json (406), 50 at a time. */
async function refusedOverHttp(count: number) {
  for (let sent = 0; sent < count; sent += 50) {
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(api.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json',
            authorization: `Bearer ${student}`,
          },
          body: JSON.stringify({ query: GRADE_CHANGED, variables: { courseId } }),
        }),
      ),
    );
    await Promise.all(responses.map((r) => r.arrayBuffer()));
    expect(new Set(responses.map((r) => r.status))).toEqual(new Set([406]));
  }
}

/** 18.3: the cap's worth of SSE streams, `beyond` more (each refused), then all closed. */
async function sseBeyondCap(beyond: number) {
  const open = await Promise.all(
    Array.from({ length: SSE_CAP }, () => sseSubscribe(api.url, GRADE_CHANGED, { courseId }, student)),
  );
  const refused = await Promise.all(
    Array.from({ length: beyond }, () => sseSubscribe(api.url, GRADE_CHANGED, { courseId }, student)),
  );
  await Promise.all(refused.map((sse) => sse.ended()));
  const codes = refused.flatMap((sse) => sse.events.items.map((e) => e.errors?.[0]?.extensions?.code));
  expect(new Set(codes)).toEqual(new Set(['TOO_MANY_REQUESTS']));
  await Promise.all([...open, ...refused].map((sse) => sse.close()));
}

async function burst() {
  await Promise.all([reusedIds(5), refusedOverHttp(200), sseBeyondCap(20)]);
}

describe('soak: the leak patterns in bursts', () => {
  it('leave active subscriptions, hub listeners and the heap where they started', { timeout: 240_000 }, async () => {
    const start = { streams: streams(), metric: await activeSubscriptions() };
    const settled = async (what: string) => {
      await waitFor(() => streams() === start.streams, { what: `${what}: every stream ended`, timeoutMs: 30_000 });
      expect(await activeSubscriptions()).toBe(start.metric);
    };
    // One round first: code compiled, caches (parsed documents, prepared statements) filled.
    await burst();
    await settled('warm-up');
    const before = heapUsed();
    const rounds = 4;
    for (let round = 0; round < rounds; round++) {
      await burst();
      await settled(`round ${round + 1}`);
    }
    const grown = heapUsed() - before;
    console.log(
      `soak: ${rounds} rounds of 205 reused-id subscribes, 200 refused HTTP subscriptions, ${SSE_CAP + 20} SSE streams: heap ${(before / 2 ** 20).toFixed(1)} MiB → ${((before + grown) / 2 ** 20).toFixed(1)} MiB`,
    );
    // A stream left behind holds ~15 KiB (issue 18.2: 12,006 streams, ~180 MB): these rounds would
    // leave ~1,700 of them, ~25 MiB. Measured here: +0.5 MiB after 1 round, +2.2 after 4, +3.5 after
    // 10, +3.7 after 20 — caches filling up, not a leak. (With 18.2's fix undone, the warm-up's
    // streams never end and the first wait fails.)
    expect(grown).toBeLessThan(8 * 2 ** 20);
  });
});
