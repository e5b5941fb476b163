/**
 * Issue 6.5 — overload and slow consumers. A graphql-ws client that stops reading (its TCP socket
 * paused, so the server's writes back up) sits beside fast clients while a burst of commits goes
 * out, with LIVE_MAX_QUEUED_EVENTS=50: the server stays up, the slow socket is closed 1013
 * (retryable), the fast clients get every event, memory stays bounded, and the slow client resumes
 * `after` its last cursor and gets everything it missed exactly once.
 */
import { describe, expect, it } from 'vitest';
import {
  connectLive,
  GRADE_CHANGED,
  gqlOk,
  LIVE_CURSOR,
  newStreams,
  strictlyIncreasing,
  useLiveApp,
  waitFor,
} from '../../test/live';
import {
  ackedSocket,
  gradeEveryoneWithNotes,
  HEAVY_GRADES,
  hubCaughtUp,
  metric,
  NOTE_BYTES,
  parseMetrics,
  tcpOf,
} from '../../test/transport';

const MAX_QUEUED = 50;

const live = useLiveApp({
  // Our own keep-alive must not be what ends the paused socket.
  env: { LIVE_MAX_QUEUED_EVENTS: String(MAX_QUEUED), WS_KEEPALIVE_MS: '120000' },
});

describe('a slow consumer beside fast ones', () => {
  it('is closed 1013 at the queue bound; fast clients get every event; memory stays bounded; the slow client resumes from its cursor and misses nothing', async () => {
    const math = live.ldb.f.course('MATH101');
    const sql = live.ldb.sql;
    // Every student has every assessment graded, each grade with a 20 KB note.
    const perStatement = await gradeEveryoneWithNotes(live.ldb, math.id);
    expect(perStatement).toBeGreaterThanOrEqual(100);

    // Let the hub dispatch that setup burst first, so the streams start from a quiet hub.
    await hubCaughtUp(live.ldb, live.api);
    const instructor = await live.ldb.token('instructor@homeroom.test');
    const start = (await gqlOk(live.api.url, LIVE_CURSOR, {}, instructor)).liveCursor as string;

    // Fast: two ordinary clients (graphql-ws), the instructor and the admin.
    const fast = [
      connectLive(live.api.wsUrl, instructor),
      connectLive(live.api.wsUrl, await live.ldb.token('admin@homeroom.test')),
    ];
    // Slow: a raw socket whose TCP reading we pause.
    const slow = await ackedSocket(live.api.wsUrl, instructor);
    const tcp = tcpOf(slow.socket);
    try {
      const registered = newStreams(live.api);
      const fastStreams = fast.map((c) =>
        c.subscribe<{ cursor: string }>(GRADE_CHANGED, { courseId: math.id, after: start }),
      );
      await slow.send({
        id: 'heavy',
        type: 'subscribe',
        payload: { query: HEAVY_GRADES, variables: { courseId: math.id, after: start } },
      });
      await registered(3);

      // One event everybody sees before the slow client stops reading.
      await sql`update grades set note = repeat('y', ${NOTE_BYTES}) where id = (select id from grades where course_id = ${math.id} order by id limit 1)`;
      await slow.messages.find((m) => m.id === 'heavy' && m.type === 'next', 15_000, 'the first heavy event');
      await Promise.all(fastStreams.map((s) => s.count(1, 15_000)));
      tcp.pause();

      const grades = (await sql<{ id: string }[]>`select id from grades where course_id = ${math.id} order by id`).map(
        (g) => g.id,
      );
      const rssBefore = process.memoryUsage().rss;
      const slowConsumers = async () =>
        metric(
          parseMetrics(await (await fetch(`${live.api.baseUrl}/metrics`)).text()),
          'homeroom_slow_consumers_total',
        );
      const slowBefore = await slowConsumers();

      // The burst: four commits of ~100 grade events each, back to back.
      const BURST = 4;
      for (let i = 0; i < BURST; i++)
        await sql`update grades set note = repeat(${String.fromCharCode(65 + i)}, ${NOTE_BYTES}) where course_id = ${math.id}`;
      let committed = 1 + BURST * perStatement;
      // The server judges a subscriber over its bound when the next event for it arrives (slow =
      // over the bound and no message taken for a second): keep a trickle of commits coming until
      // it gives up on the slow one.
      const first = grades[0];
      await waitFor(
        async () => {
          if ((await slowConsumers()) > slowBefore) return true;
          await sql`update grades set note = repeat('t', ${NOTE_BYTES}) where id = ${first}`;
          committed += 1;
          return false;
        },
        { timeoutMs: 20_000, intervalMs: 200, what: 'the slow consumer to be given up on' },
      );
      await Promise.all(
        fastStreams.map((s) =>
          s.until(() => s.done || s.items.length >= committed, 30_000, `${committed} events on a fast client`),
        ),
      );
      const expected = (await live.ldb.outbox(start))
        .filter((r) => r.topic === 'grade' && r.course_id === math.id)
        .map((r) => r.cursor);
      expect(expected.length).toBe(committed);

      // The fast clients got everything, in order, once, and were never closed.
      for (const stream of fastStreams) {
        expect(stream.cursors()).toEqual(expected);
        expect(stream.errors).toEqual([]);
      }
      for (const conn of fast) expect(conn.closes.items).toEqual([]);
      expect((await fetch(`${live.api.baseUrl}/health`)).status).toBe(200);
      const rssAfter = process.memoryUsage().rss;
      // Bounded: what the slow client did not read is not kept (~400 frames of ~200 KB = 80 MB).
      expect(rssAfter - rssBefore, 'RSS growth in bytes during the burst').toBeLessThan(150 * 1024 * 1024);

      // The slow client reads again: what was in flight, then the close — 1013, retryable.
      tcp.resume();
      const closed = await slow.closed(20_000);
      expect(closed).toEqual({ code: 1013, reason: 'Too slow: reconnect and resume from your last cursor' });
      const got = slow.messages.items
        .filter((m) => m.id === 'heavy' && m.type === 'next')
        .map((m) => m.payload.data.gradeChanged);
      expect(got.length).toBeGreaterThan(0);
      expect(got.length).toBeLessThan(expected.length);
      expect(got.map((e) => e.cursor)).toEqual(expected.slice(0, got.length));
      expect(got.every((e) => e.grade.n0.length === NOTE_BYTES)).toBe(true);

      // It resumes after its last cursor and gets exactly what it missed.
      const last = got.at(-1).cursor as string;
      const resumed = connectLive(live.api.wsUrl, instructor);
      try {
        const stream = resumed.subscribe<{ cursor: string }>(GRADE_CHANGED, { courseId: math.id, after: last });
        const missing = expected.length - got.length;
        await stream.count(missing, 30_000);
        const all = [...got.map((e) => e.cursor), ...stream.cursors()];
        expect(all).toEqual(expected);
        expect(strictlyIncreasing(all)).toBe(true);
        expect(resumed.closes.items).toEqual([]);
      } finally {
        await resumed.dispose();
      }
    } finally {
      tcp.resume();
      slow.close();
      await Promise.all(fast.map((c) => c.dispose()));
    }
  }, 60_000);
});

// Regression: the bound once counted every event of the topic the instance had not yet handled —
// other courses' included — so one bulk commit closed every subscriber, fast or not.
describe('a burst of more events than the bound in one commit', () => {
  it('closes neither a fast reader of that course nor a subscriber of another course', async () => {
    const math = live.ldb.f.course('MATH101');
    const phys = live.ldb.f.course('PHYS110');
    const fastReader = connectLive(live.api.wsUrl, await live.ldb.token('instructor@homeroom.test'));
    const elsewhere = connectLive(live.api.wsUrl, await live.ldb.token('instructor2@homeroom.test'));
    try {
      const registered = newStreams(live.api);
      const mathStream = fastReader.subscribe(GRADE_CHANGED, { courseId: math.id });
      const physStream = elsewhere.subscribe(GRADE_CHANGED, { courseId: phys.id });
      await registered(2);
      const [{ n }] = await live.ldb.sql<
        { n: number }[]
      >`with u as (update grades set score = 2 where course_id = ${math.id} returning 1) select count(*)::int as n from u`;
      expect(n).toBeGreaterThanOrEqual(2 * MAX_QUEUED);
      await mathStream.until(() => mathStream.done || mathStream.items.length >= n, 20_000, 'the burst or the end');
      await live.ldb.setGrade(phys.assessments.Midterm.id, phys.id, phys.studentIds[0], 3); // one for the other course
      await physStream.until(() => physStream.done || physStream.items.length >= 1, 20_000, 'its own event or the end');
      expect({
        fastReader: { closes: fastReader.closes.items, events: mathStream.items.length },
        elsewhere: { closes: elsewhere.closes.items, events: physStream.items.length },
      }).toEqual({ fastReader: { closes: [], events: n }, elsewhere: { closes: [], events: 1 } });
    } finally {
      await fastReader.dispose();
      await elsewhere.dispose();
    }
  });
});
