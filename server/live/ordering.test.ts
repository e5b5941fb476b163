/**
 * Order without holes (live contract 1, 4, 5): cursors follow commit order (pos, id), a
 * transaction that is still open holds back nothing but its own events, which come once, after it
 * commits, and a replay seam under concurrent writes delivers each visible event exactly once, in
 * order. More long-transaction cases: long-transactions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { compareCursors } from '../../shared/cursor';
import {
  allUpdates,
  connectLive,
  expectedFor,
  GRADE_CHANGED,
  gqlOk,
  LIVE_CURSOR,
  type LiveStream,
  loadMemberships,
  newStreams,
  strictlyIncreasing,
  useLiveApp,
} from '../../test/live';

const app = useLiveApp();

const liveCursor = async (token: string) => (await gqlOk(app.api.url, LIVE_CURSOR, {}, token)).liveCursor as string;

/** Outbox rows at or below `cursor` now: a later recount differs if any row appeared behind it. */
const rowsUpTo = async (cursor: string) => {
  const [pos, id] = cursor.split('.');
  return (
    await app.ldb.sql<{ n: number }[]>`
      select count(*)::int as n from outbox_commits c join outbox o on o.xid = c.xid
      where (c.pos, o.id) <= (${pos}::bigint, ${id}::bigint)`
  )[0].n;
};

/** Sequential single-row grade writes (each its own transaction) to Homework 1, over the students of a course. */
function startWriter(course: ReturnType<typeof app.ldb.f.course>, count: number, onCommit?: (i: number) => void) {
  let stop = false;
  const done = (async () => {
    for (let i = 0; i < count && !stop; i++) {
      const student = course.studentIds[i % course.studentIds.length];
      await app.ldb
        .sql`update grades set note = ${`w${i}`} where assessment_id = ${course.assessments['Homework 1'].id} and student_id = ${student}`;
      onCommit?.(i + 1);
    }
  })();
  return { done, stop: () => (stop = true) };
}

describe('order without holes', () => {
  it('an open transaction with the lower xid and the lower outbox id holds back nothing; its event comes once, after it commits; nobody sees a hole', async () => {
    const math = app.ldb.f.course('MATH101');
    const quiz = math.assessments['Quiz 1'].id;
    const token = await app.ldb.token('instructor@homeroom.test');
    const start = await liveCursor(token);

    const conn = connectLive(app.api.wsUrl, token);
    const stream = conn.subscribe<{ cursor: string; grade: { student: { id: string } } }>(GRADE_CHANGED, {
      courseId: math.id,
      after: start,
    });

    // Handed-out cursors, each with how many outbox rows at or below it there were right after.
    const handed: { cursor: string; rows: number; from: string }[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const live = await liveCursor(token);
        handed.push({ cursor: live, rows: await rowsUpTo(live), from: 'liveCursor' });
        const page = await allUpdates(app.api.url, token, start, math.id);
        handed.push({ cursor: page.cursor, rows: await rowsUpTo(page.cursor), from: 'updates' });
      }
    })();

    const t1 = await app.ldb.sql.reserve();
    const t2 = await app.ldb.sql.reserve();
    let b = { id: '' };
    try {
      await t1`begin`;
      await t1`update grades set note = 'T1' where assessment_id = ${quiz} and student_id = ${math.studentIds[1]}`;
      [b] = await t1<{ id: string }[]>`select id::text from outbox where xid = pg_current_xact_id()`;
      await t2`begin`;
      await t2`update grades set note = 'T2' where assessment_id = ${quiz} and student_id = ${math.studentIds[0]}`;
      const [a] = await t2<{ id: string }[]>`select id::text from outbox where xid = pg_current_xact_id()`;
      expect(BigInt(b.id)).toBeLessThan(BigInt(a.id)); // T1 wrote first…

      await t2`commit`; // …T2 commits first,
      const burst = startWriter(math, 60);
      await burst.done; // and 60 more transactions commit while T1 stays open.

      // All of them arrive while T1 is open (the old rule held every one back until T1 ended).
      const others = (await app.ldb.outbox(start)).filter((r) => r.topic === 'grade' && r.course_id === math.id);
      expect(others).toHaveLength(61);
      await stream.find((e) => e.cursor === others.at(-1)!.cursor, 15_000, 'the last event behind the open T1');
      expect(stream.cursors()).toEqual(others.map((r) => r.cursor));
      expect(others.map((r) => r.id)).not.toContain(b.id);
      const page = await allUpdates(app.api.url, token, start, math.id);
      expect(page.events.map((e) => e.cursor)).toEqual(others.map((r) => r.cursor));
      expect(compareCursors(await liveCursor(token), others.at(-1)!.cursor)).toBe(1);

      await t1`commit`;
    } finally {
      // A failed assertion must not leave T1's row locks behind for the next test.
      for (const t of [t1, t2]) {
        await t`rollback`.catch(() => {});
        t.release();
      }
    }

    // A sentinel after everything: once it arrives, every earlier event has been delivered.
    await app.ldb
      .sql`update grades set note = 'sentinel' where assessment_id = ${quiz} and student_id = ${math.studentIds[2]}`;
    const all = (await app.ldb.outbox(start)).filter((r) => r.topic === 'grade' && r.course_id === math.id);
    const expected = all.map((r) => r.cursor);
    expect(expected.length).toBe(63);
    // T1's event: after the 61 that committed while it was open, before the sentinel.
    expect(all.findIndex((r) => r.id === b.id)).toBe(61);
    await stream.find((e) => e.cursor === expected.at(-1), 15_000, 'the sentinel');
    watching = false;
    await watcher;
    await conn.dispose();

    expect(stream.cursors()).toEqual(expected); // each once, in commit order
    expect(strictlyIncreasing(stream.cursors())).toBe(true);

    const page = await allUpdates(app.api.url, token, start, math.id);
    expect(page.events.map((e) => e.cursor)).toEqual(expected);
    expect(page.cursor).toBe(expected.at(-1));

    // No cursor was ever handed out before an event that appeared behind it later.
    expect(handed.length).toBeGreaterThan(2);
    for (const h of handed) expect({ ...h, rows: await rowsUpTo(h.cursor) }).toEqual(h);
  });
});

describe('cursors of varying width', () => {
  // Regression: the outbox reader once sorted by the text aliases of xid and id ("1000" < "999"),
  // so the relay published 1000… before 991…999 and every hub dropped the latter as already seen.
  it('a transaction whose outbox ids cross a power of ten arrives whole and in order (live, replay, updates)', async () => {
    const math = app.ldb.f.course('MATH101');
    const token = await app.ldb.token('instructor@homeroom.test');
    const start = await liveCursor(token);
    const conn = connectLive(app.api.wsUrl, token);
    try {
      const registered = newStreams(app.api);
      const live = conn.subscribe(GRADE_CHANGED, { courseId: math.id });
      await registered(1); // registered before the write: everything comes live

      // Move the identity just below the next power of ten, so the next transaction crosses it.
      const [{ last }] = await app.ldb.sql<{ last: string }[]>`select last_value::text as last from outbox_id_seq`;
      let boundary = 10n ** BigInt(last.length);
      if (boundary - BigInt(last) < 40n) boundary *= 10n;
      await app.ldb.sql`select setval('outbox_id_seq', ${(boundary - 10n).toString()}::bigint)`;
      await app.ldb.sql`update grades set note = 'crossing' where assessment_id = ${math.assessments['Quiz 1'].id}`; // one transaction, ids across the boundary
      await app.ldb
        .sql`update grades set note = 'sentinel' where assessment_id = ${math.assessments['Homework 1'].id} and student_id = ${math.studentIds[0]}`;
      const expected = (await app.ldb.outbox(start)).filter((r) => r.topic === 'grade').map((r) => r.cursor);
      expect(expected).toHaveLength(math.studentIds.length + 1);
      expect(expected.map((c) => c.split('.')[1].length)).toContain(boundary.toString().length);

      await live.find((e) => e.cursor === expected.at(-1), 10_000, 'the sentinel');
      const page = await allUpdates(app.api.url, token, start, math.id);
      const replay = conn.subscribe(GRADE_CHANGED, { courseId: math.id, after: start });
      await replay.find((e) => e.cursor === expected.at(-1), 10_000, 'the sentinel (replay)');
      expect({
        live: live.cursors(),
        replay: replay.cursors(),
        updates: page.events.map((e) => e.cursor),
        updatesCursor: page.cursor,
      }).toEqual({
        live: expected,
        replay: expected,
        updates: expected,
        updatesCursor: expected.at(-1),
      });
    } finally {
      await conn.dispose();
    }
  });
});

describe('replay seam under concurrent writes', () => {
  it('`after` = a liveCursor read earlier, subscribed while a writer commits: every visible event once, in order', async () => {
    const math = app.ldb.f.course('MATH101');
    const hist = app.ldb.f.course('HIST201');
    const instructor = app.ldb.persona('instructor@homeroom.test');
    const student = app.ldb.persona('student@homeroom.test');
    const [instructorToken, studentToken] = await Promise.all([
      app.ldb.token('instructor@homeroom.test'),
      app.ldb.token('student@homeroom.test'),
    ]);
    const before = await liveCursor(studentToken);

    const subscribed: { after: string }[] = [];
    let mid = '';
    const conn = {
      instructor: connectLive(app.api.wsUrl, instructorToken),
      student: connectLive(app.api.wsUrl, studentToken),
    };
    const streams: {
      name: string;
      stream: LiveStream<any>;
      after: () => string;
      viewer: typeof student;
      courseId?: string;
    }[] = [];

    // Two writers over two courses; subscriptions open while they run.
    let subscribeNow!: () => void;
    const subscribeAt = new Promise<void>((resolve) => (subscribeNow = resolve));
    const writers = [
      startWriter(math, 120, (i) => {
        if (i === 10) void liveCursor(studentToken).then((c) => (mid = c));
        if (i >= 40 && mid && subscribed.length === 0) {
          streams.push(
            {
              name: 'instructor, MATH, after before',
              stream: conn.instructor.subscribe(GRADE_CHANGED, { courseId: math.id, after: before }),
              after: () => before,
              viewer: instructor,
              courseId: math.id,
            },
            {
              name: 'student, all courses, after before',
              stream: conn.student.subscribe(GRADE_CHANGED, { after: before }),
              after: () => before,
              viewer: student,
            },
            {
              name: 'student, all courses, after mid',
              stream: conn.student.subscribe(GRADE_CHANGED, { after: mid }),
              after: () => mid,
              viewer: student,
            },
          );
          subscribed.push({ after: mid });
          subscribeNow();
        }
      }).done,
      startWriter(hist, 80).done,
    ];
    await subscribeAt;
    await Promise.all(writers);
    expect(subscribed).toHaveLength(1);

    // The sentinel: a grade of the student's in MATH, which all three subscriptions may see.
    await app.ldb
      .sql`update grades set note = 'seam sentinel' where assessment_id = ${math.assessments['Quiz 1'].id} and student_id = ${student.id}`;
    const memberships = await loadMemberships(app.ldb.sql);
    for (const s of streams) {
      const expected = expectedFor(await app.ldb.outbox(s.after()), s.viewer, memberships, {
        topic: 'grade',
        courseId: s.courseId,
      }).map((r) => r.cursor);
      await s.stream.find((e) => e.cursor === expected.at(-1), 15_000, `the sentinel (${s.name})`);
      expect(s.stream.cursors(), s.name).toEqual(expected);
      expect(strictlyIncreasing(s.stream.cursors()), s.name).toBe(true);
      expect(s.stream.errors, s.name).toEqual([]);
    }
    // The student saw only their own grades, from both courses.
    const own = streams[1].stream.items as { grade: { student: { id: string } } }[];
    expect(own.length).toBeGreaterThanOrEqual(3);
    expect(new Set(own.map((e) => e.grade.student.id))).toEqual(new Set([student.id]));
    await Promise.all([conn.instructor.dispose(), conn.student.dispose()]);
  });
});
