/**
 * Polling crowds (issue 17): `updates` with nothing new is answered from the hub without touching
 * the outbox; new events come from the hub's recent events, shared by every poller whatever their
 * user or cursor (each filtered and authorized as themselves); an older cursor reads the outbox,
 * and pollers asking for the same events at the same time share that read.
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
/** The newest event before the app started: outside its hub's recent events. */
let beforeStart: string;
beforeAll(async () => {
  ldb = await openLiveDatabase();
  beforeStart = (await ldb.outbox()).at(-1)!.cursor;
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
  it('a poll with nothing new sends no query (its session known since the caller’s first request), and the next event still comes', async () => {
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
    // Not even the session: the liveCursor request looked it up, this instance remembers it (auth/session-cache.ts).
    expect(queries.queries).toEqual([]);

    // An event arrives: the poll from the old cursor finds it among the hub's recent events.
    await ldb.setGrade(math.assessments['Quiz 1'].id, math.id, student, 6);
    const written = await ldb.outbox(liveCursor);
    expect(written.map((e) => e.topic).sort()).toEqual(['grade', 'notification']); // the student's grade and its notice
    const event = written.at(-1)!;
    await hubHas(event.cursor);
    queries = everyQuery();
    const page = (await gqlOk(api.url, UPDATES, { after: liveCursor }, token)).updates;
    queries.stop();
    expect(page.events.map((e: { cursor: string }) => e.cursor)).toEqual(written.map((e) => e.cursor));
    expect(page.cursor).toBe(event.cursor);
    expect(onTheOutbox(queries.queries)).toEqual([]);

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

  it('pollers of different users and cursors share the hub’s recent events: no outbox read, each gets only their own', async () => {
    const math = ldb.f.course('MATH101');
    const [first, second] = math.studentIds.slice(3, 5);
    const instructor = await ldb.token('instructor@homeroom.test');
    const emailOf = async (id: string) =>
      (await ldb.sql<{ email: string }[]>`select email from users where id = ${id}`)[0].email;
    const { liveCursor } = await gqlOk(api.url, LIVE_CURSOR, {}, instructor);
    await ldb.setGrade(math.assessments.Participation.id, math.id, first, 1);
    const between = (await ldb.outbox(liveCursor)).at(-1)!.cursor;
    await ldb.setGrade(math.assessments.Participation.id, math.id, second, 2);
    await ldb.setGrade(math.assessments.Participation.id, math.id, first, 3);
    const written = await ldb.outbox(liveCursor);
    await hubHas(written.at(-1)!.cursor);

    // Each poller's own events, from the outbox: a student's grades and notices, all of the course's grades for staff.
    const own = (student: string, after: string) =>
      written.filter((e) => compareCursors(e.cursor, after) > 0 && e.audience_user_id === student).map((e) => e.cursor);
    const grades = written.filter((e) => e.topic === 'grade').map((e) => e.cursor);
    const polls = [
      { token: await ldb.token(await emailOf(first)), after: liveCursor, expected: own(first, liveCursor) },
      { token: await ldb.token(await emailOf(second)), after: liveCursor, expected: own(second, liveCursor) },
      { token: await ldb.token(await emailOf(second)), after: between, expected: own(second, between) },
      { token: instructor, after: liveCursor, courseId: math.id, expected: grades },
      { token: instructor, after: between, expected: grades.slice(1) },
    ];
    expect(polls[0].expected).toHaveLength(4); // two grades, two notices
    expect(polls[1].expected).toEqual(polls[2].expected);

    const queries = countQueries(api, /outbox/);
    const pages = await Promise.all(
      polls.map(
        async (p) => (await gqlOk(api.url, UPDATES, { after: p.after, courseId: p.courseId }, p.token)).updates,
      ),
    );
    queries.stop();
    expect(queries.queries).toEqual([]);
    for (const [i, page] of pages.entries()) {
      expect(page.events.map((e: { cursor: string }) => e.cursor)).toEqual(polls[i].expected);
      expect(page).toMatchObject({ cursor: written.at(-1)!.cursor, hasMore: false, resyncRequired: false });
    }
    // No student sees another's grade.
    for (const [i, student] of [first, second, second].entries())
      for (const e of pages[i].events.filter((e: { __typename: string }) => e.__typename === 'GradeEvent'))
        expect(e.grade.student.id).toBe(student);
  });

  it('while the relay has events the hub may not have yet, polls add one shared read of what follows the hub’s events', async () => {
    const math = ldb.f.course('MATH101');
    const [first, second] = math.studentIds.slice(5, 7);
    const emailOf = async (id: string) =>
      (await ldb.sql<{ email: string }[]>`select email from users where id = ${id}`)[0].email;
    const tokens = [await ldb.token(await emailOf(first)), await ldb.token(await emailOf(second))];
    const { liveCursor } = await gqlOk(api.url, LIVE_CURSOR, {}, tokens[0]);
    const { relay } = api.app.live;
    const quiet = relay.quiet;
    relay.quiet = () => false; // a NOTIFY's events on their way to the hub, as far as polls can tell
    try {
      await ldb.setGrade(math.assessments['Homework 1'].id, math.id, first, 4);
      await ldb.setGrade(math.assessments['Homework 1'].id, math.id, second, 5);
      // Ordered (ldb.outbox orders first), maybe not on the hub yet: the polls must have them either way.
      const written = await ldb.outbox(liveCursor);
      const pages = await Promise.all(
        tokens.map(async (token) => (await gqlOk(api.url, UPDATES, { after: liveCursor }, token)).updates),
      );
      const own = (student: string) => written.filter((e) => e.audience_user_id === student).map((e) => e.cursor);
      for (const [i, student] of [first, second].entries()) {
        expect(own(student)).toHaveLength(2); // the grade and its notice
        expect(pages[i].events.map((e: { cursor: string }) => e.cursor)).toEqual(own(student));
        expect(pages[i]).toMatchObject({ cursor: written.at(-1)!.cursor, hasMore: false });
      }

      // Two users' polls asking at once (the relay itself idle, so it reads nothing meanwhile): one read.
      await hubHas(written.at(-1)!.cursor);
      await waitFor(() => quiet() === true, { what: 'the relay to be idle' });
      const topics = declaredTopics.filter((topic) => !topic.derived).map((topic) => topic.policy);
      const queries = countQueries(api, /outbox_commits/);
      const direct = await Promise.all(
        [first, second].map((id) =>
          api.app.live.updates({ viewer: { id, role: 'STUDENT' }, after: liveCursor, limit: 200, topics }),
        ),
      );
      queries.stop();
      expect(queries.count).toBe(1);
      for (const [i, student] of [first, second].entries())
        expect(direct[i].messages.map((m) => (m.kind === 'event' ? m.event.cursor : m.kind))).toEqual(own(student));
    } finally {
      relay.quiet = quiet;
    }
  });

  it('a page of the recent events stops at `first` and says there is more', async () => {
    const math = ldb.f.course('MATH101');
    const instructor = await ldb.token('instructor@homeroom.test');
    const { liveCursor } = await gqlOk(api.url, LIVE_CURSOR, {}, instructor);
    for (const [i, student] of math.studentIds.slice(0, 3).entries())
      await ldb.setGrade(math.assessments['Homework 1'].id, math.id, student, 2 + i);
    // A page counts the course's events (as an outbox read would), the instructor sees its grades.
    const rows = (await ldb.outbox(liveCursor)).filter((e) => e.course_id === math.id);
    const grades = (some: typeof rows) => some.filter((e) => e.topic === 'grade').map((e) => e.cursor);
    expect(grades(rows)).toHaveLength(3);
    await hubHas(rows.at(-1)!.cursor);
    const queries = countQueries(api, /outbox/);
    const page = (await gqlOk(api.url, UPDATES, { after: liveCursor, courseId: math.id, first: 2 }, instructor))
      .updates;
    const rest = (await gqlOk(api.url, UPDATES, { after: page.cursor, courseId: math.id }, instructor)).updates;
    queries.stop();
    expect(queries.queries).toEqual([]);
    expect(page).toMatchObject({ cursor: rows[1].cursor, hasMore: true });
    expect(page.events.map((e: { cursor: string }) => e.cursor)).toEqual(grades(rows.slice(0, 2)));
    expect(rest.events.map((e: { cursor: string }) => e.cursor)).toEqual(grades(rows.slice(2)));
    expect(rest).toMatchObject({ cursor: rows.at(-1)!.cursor, hasMore: false });
  });

  it('a cursor from before the hub’s recent events reads the outbox; pollers asking for the same events at once share that read', async () => {
    const math = ldb.f.course('MATH101');
    const instructor = ldb.persona('instructor@homeroom.test');
    const { liveCursor } = await gqlOk(api.url, LIVE_CURSOR, {}, await ldb.token('instructor@homeroom.test'));
    for (const [i, student] of math.studentIds.slice(0, 3).entries())
      await ldb.setGrade(math.assessments.Midterm.id, math.id, student, 7 + i / 2);
    await hubHas((await ldb.outbox(liveCursor)).at(-1)!.cursor);
    const events = await ldb.outbox(beforeStart);

    const topics = declaredTopics.filter((topic) => !topic.derived).map((topic) => topic.policy);
    const poll = () =>
      api.app.live.updates({ viewer: instructor, after: beforeStart, courseId: math.id, limit: 200, topics });
    const queries = countQueries(api, /outbox/);
    const pages = await Promise.all(Array.from({ length: 20 }, poll));
    queries.stop();
    expect(queries.queries.filter((q) => /outbox_state/.test(q))).toHaveLength(1); // the resync check
    expect(queries.queries.filter((q) => /outbox_commits/.test(q))).toHaveLength(1); // the page
    // Every grade of the course since the app started, this test's and the earlier tests' alike.
    const gradeCursors = events.filter((e) => e.topic === 'grade' && e.course_id === math.id).map((e) => e.cursor);
    expect(gradeCursors.length).toBeGreaterThanOrEqual(3);
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
