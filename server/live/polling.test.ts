/**
 * Polling crowds (issue 17): `updates` with nothing new is answered from the hub without touching
 * the outbox, and pollers asking for the same events at the same time share one read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareCursors, formatCursor } from '../../shared/cursor';
import {
  countQueries,
  gqlOk,
  LIVE_CURSOR,
  type LiveDatabase,
  openLiveDatabase,
  startTestApp,
  type TestApp,
  UPDATES,
  waitFor,
} from '../../test/live';
import { declaredTopics } from '../schema/live-topic';

let ldb: LiveDatabase;
let api: TestApp;
beforeAll(async () => {
  ldb = await openLiveDatabase();
  // No quiet-hub repair reads (every 2 s by default) while statements are being counted.
  api = await startTestApp({ databaseUrl: ldb.url, env: { LIVE_REPAIR_INTERVAL_MS: '600000' } });
});
afterAll(async () => {
  await api?.stop();
  await ldb?.close();
});

/** Every statement the API sends from now on (the test's own connection is another pool). */
const everyQuery = () => countQueries(api, /./);
const onTheOutbox = (queries: string[]) => queries.filter((q) => /outbox/.test(q));
const hubHas = (cursor: string) =>
  waitFor(
    () => {
      const last = api.app.live.hub.lastCursor();
      return last !== null && compareCursors(`${last.pos}.${last.id}`, cursor) >= 0;
    },
    { what: `the hub to dispatch ${cursor}` },
  );

describe('updates for a crowd of pollers', () => {
  it('a poll with nothing new sends no query but the caller’s session lookup, and the next event still comes', async () => {
    const math = ldb.f.course('MATH101');
    const student = ldb.f.user('student@homeroom.test');
    expect(math.studentIds).toContain(student);
    const token = await ldb.token('student@homeroom.test');
    const { liveCursor } = await gqlOk(api.url, LIVE_CURSOR, {}, token);

    // After the live cursor (past the hub's last event): nothing new, from the hub.
    // Once this instance leads and has re-published the outbox from its stored cursor (the seed's
    // events: a new leader catches up first, and polls read the outbox meanwhile).
    const newest = (await ldb.outbox()).at(-1)!.cursor;
    const { relay } = api.app.live;
    await waitFor(() => relay.quiet() === true && formatCursor(relay.published()) === newest, {
      what: 'the relay to lead and catch up',
    });
    let queries = everyQuery();
    const idle = (await gqlOk(api.url, UPDATES, { after: liveCursor }, token)).updates;
    queries.stop();
    expect(idle).toEqual({ cursor: liveCursor, hasMore: false, resyncRequired: false, events: [] });
    expect(queries.queries).toHaveLength(1);
    expect(queries.queries[0]).toMatch(/sessions/); // authentication, on every request by design (auth/authenticate.ts)

    // An event arrives: the poll from the old cursor reads it from the outbox.
    await ldb.setGrade(math.assessments['Quiz 1'].id, math.id, student, 6);
    const written = await ldb.outbox(liveCursor);
    expect(written.map((e) => e.topic).sort()).toEqual(['grade', 'notification']); // the student's grade and its notice
    const event = written.at(-1)!;
    await hubHas(event.cursor);
    const page = (await gqlOk(api.url, UPDATES, { after: liveCursor }, token)).updates;
    expect(page.events.map((e: { cursor: string }) => e.cursor)).toEqual(written.map((e) => e.cursor));
    expect(page.cursor).toBe(event.cursor);

    // At the hub's last event, for the whole course or one course: nothing new, no outbox read.
    for (const courseId of [undefined, math.id]) {
      queries = everyQuery();
      const again = (await gqlOk(api.url, UPDATES, { after: event.cursor, courseId }, token)).updates;
      queries.stop();
      expect(again).toEqual({ cursor: event.cursor, hasMore: false, resyncRequired: false, events: [] });
      expect(onTheOutbox(queries.queries)).toEqual([]);
    }

    // A cursor past every position given (another database, say) is still told to resync.
    const foreign = (await gqlOk(api.url, UPDATES, { after: '9000000000000.0' }, token)).updates;
    expect(foreign.resyncRequired).toBe(true);
  });

  it('pollers asking for the same events at once share one outbox read, and get the same answer', async () => {
    const math = ldb.f.course('MATH101');
    const instructor = ldb.persona('instructor@homeroom.test');
    const { liveCursor } = await gqlOk(api.url, LIVE_CURSOR, {}, await ldb.token('instructor@homeroom.test'));
    for (const [i, student] of math.studentIds.slice(0, 3).entries())
      await ldb.setGrade(math.assessments.Midterm.id, math.id, student, 7 + i / 2);
    const events = await ldb.outbox(liveCursor);
    await hubHas(events.at(-1)!.cursor);

    const topics = declaredTopics.filter((topic) => !topic.derived).map((topic) => topic.policy);
    const poll = () =>
      api.app.live.updates({ viewer: instructor, after: liveCursor, courseId: math.id, limit: 200, topics });
    const queries = countQueries(api, /outbox/);
    const pages = await Promise.all(Array.from({ length: 20 }, poll));
    queries.stop();
    expect(queries.queries.filter((q) => /outbox_state/.test(q))).toHaveLength(1); // the resync check
    expect(queries.queries.filter((q) => /outbox_commits/.test(q))).toHaveLength(1); // the page
    const gradeCursors = events.filter((e) => e.topic === 'grade').map((e) => e.cursor);
    for (const page of pages) {
      expect(page.cursor).toBe(pages[0].cursor);
      expect(page.messages.map((m) => (m.kind === 'event' ? m.event.cursor : m.kind))).toEqual(
        pages[0].messages.map((m) => (m.kind === 'event' ? m.event.cursor : m.kind)),
      );
    }
    expect(pages[0].messages.map((m) => (m.kind === 'event' ? m.event.cursor : m.kind))).toEqual(gradeCursors);

    // One at a time, each reads for itself (nothing is kept once the read is done).
    const alone = countQueries(api, /outbox_commits/);
    await poll();
    await poll();
    alone.stop();
    expect(alone.count).toBe(2);
  });
});
