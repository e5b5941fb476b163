/**
 * No stall (issue 15): a transaction left open anywhere on the Postgres server — in another
 * database or in this one — holds back no other event; its own events arrive once, after it
 * commits, in commit order. Cursors follow commit order, so writers committing in reverse order of
 * their ids are delivered in the order they committed, each at once.
 */
import postgres from 'postgres';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { compareCursors } from '../../shared/cursor';
import {
  allUpdates,
  connectLive,
  expectedFor,
  GRADE_CHANGED,
  gqlOk,
  LIVE_CURSOR,
  loadMemberships,
  newStreams,
  strictlyIncreasing,
  useLiveApp,
} from '../../test/live';

const app = useLiveApp();
beforeAll(async () => {
  await app.ldb.outbox(); // orders the seed's events now: a liveCursor read later is after all of them
});

const liveCursor = async (token: string) => (await gqlOk(app.api.url, LIVE_CURSOR, {}, token)).liveCursor as string;

/** A transaction on its own connection, kept open until `end()`: rolled back if the test failed first. */
async function openTransaction(on: postgres.Sql) {
  const tx = await on.reserve();
  await tx`begin`;
  let open = true;
  return {
    tx,
    async end(how: 'commit' | 'rollback' = 'commit') {
      await tx.unsafe(how);
      open = false;
      tx.release();
    },
    async abandon() {
      if (!open) return;
      open = false;
      await tx`rollback`.catch(() => {});
      tx.release();
    },
  };
}

/** The grade events of a course after `after`, as the database orders them. */
const gradeEvents = async (after: string, courseId: string) =>
  (await app.ldb.outbox(after)).filter((r) => r.topic === 'grade' && r.course_id === courseId);

describe('a long transaction holds back nothing but itself', () => {
  it('a write transaction open in another database of the server: 40 commits here reach subscribers and `updates` while it stays open', async () => {
    const other = postgres(inject('postgresAdminUrl'), { max: 1, onnotice: () => {} });
    const open = await openTransaction(other);
    try {
      // A transaction id: under the old rule (xid < the server-wide xmin) everything after it waited.
      const [{ xid }] = await open.tx<{ xid: string }[]>`select pg_current_xact_id()::text as xid`;
      const math = app.ldb.f.course('MATH101');
      const token = await app.ldb.token('instructor@homeroom.test');
      const start = await liveCursor(token);
      const conn = connectLive(app.api.wsUrl, token);
      try {
        const stream = conn.subscribe(GRADE_CHANGED, { courseId: math.id, after: start });
        for (let i = 0; i < 40; i++) {
          await app.ldb.setGrade(math.assessments['Homework 1'].id, math.id, math.studentIds[i % 20], 1 + i / 4);
        }
        const expected = (await gradeEvents(start, math.id)).map((r) => r.cursor);
        expect(expected).toHaveLength(40);
        await stream.find((e) => e.cursor === expected.at(-1), 15_000, 'the 40th event');
        expect(stream.cursors()).toEqual(expected);
        const page = await allUpdates(app.api.url, token, start, math.id);
        expect(page.events.map((e) => e.cursor)).toEqual(expected);
        expect(compareCursors(await liveCursor(token), expected.at(-1)!)).toBe(1);
        // …and the other transaction is still open, with its transaction id.
        const [{ still }] = await open.tx<{ still: string }[]>`select pg_current_xact_id()::text as still`;
        expect(still).toBe(xid);
      } finally {
        await conn.dispose();
      }
      await open.end('rollback');
    } finally {
      await open.abandon();
      await other.end({ timeout: 5 });
    }
  });

  it('writers that commit in reverse order of their ids: each event arrives as its transaction commits, once, in commit order', async () => {
    const math = app.ldb.f.course('MATH101');
    const token = await app.ldb.token('instructor@homeroom.test');
    const start = await liveCursor(token);
    const conn = connectLive(app.api.wsUrl, token);
    const writers: Awaited<ReturnType<typeof openTransaction>>[] = [];
    try {
      const stream = conn.subscribe<{ cursor: string; grade: { student: { id: string } } }>(GRADE_CHANGED, {
        courseId: math.id,
        after: start,
      });
      // Five transactions, each writing one grade: transaction ids and outbox ids increase with i.
      const ids: bigint[] = [];
      for (let i = 0; i < 5; i++) {
        const w = await openTransaction(app.ldb.sql);
        writers.push(w);
        await w.tx`update grades set note = ${`reverse ${i}`} where assessment_id = ${math.assessments['Quiz 1'].id} and student_id = ${math.studentIds[i]}`;
        const [row] = await w.tx<{ id: string }[]>`select id::text from outbox where xid = pg_current_xact_id()`;
        ids.push(BigInt(row.id));
      }
      expect(strictlyIncreasing(ids.map((id) => `0.${id}`))).toBe(true);
      // Commit the newest first; each event arrives while every older writer is still open.
      for (let i = 4; i >= 0; i--) {
        await writers[i].end();
        await stream.find((e) => e.grade.student.id === math.studentIds[i], 15_000, `writer ${i}'s event`);
        expect(stream.items.map((e) => e.grade.student.id)).toEqual(
          [4, 3, 2, 1, 0].filter((j) => j >= i).map((j) => math.studentIds[j]),
        );
      }
      const expected = (await gradeEvents(start, math.id)).map((r) => r.cursor);
      expect(stream.cursors()).toEqual(expected);
      expect(strictlyIncreasing(stream.cursors())).toBe(true);
      // The cursors follow commit order, not id order.
      expect(stream.cursors().map((c) => BigInt(c.split('.')[1]))).toEqual([...ids].reverse());
      const page = await allUpdates(app.api.url, token, start, math.id);
      expect(page.events.map((e) => e.cursor)).toEqual(expected);
      const replay = conn.subscribe(GRADE_CHANGED, { courseId: math.id, after: start });
      await replay.find((e) => e.cursor === expected.at(-1), 15_000, 'the replayed last event');
      expect(replay.cursors()).toEqual(expected);
    } finally {
      for (const w of writers) await w.abandon();
      await conn.dispose();
    }
  });

  it('a subscription seam while a long transaction is open: subscribed mid-burst, after a cursor from before it, every visible event once, in order', async () => {
    const math = app.ldb.f.course('MATH101');
    const hist = app.ldb.f.course('HIST201');
    const student = app.ldb.persona('student@homeroom.test');
    const instructor = app.ldb.persona('instructor@homeroom.test');
    const [studentToken, instructorToken] = await Promise.all([
      app.ldb.token('student@homeroom.test'),
      app.ldb.token('instructor@homeroom.test'),
    ]);
    const before = await liveCursor(studentToken);
    const long = await openTransaction(app.ldb.sql);
    const conn = {
      student: connectLive(app.api.wsUrl, studentToken),
      instructor: connectLive(app.api.wsUrl, instructorToken),
    };
    try {
      // The long transaction writes the student's own grade (which every stream below may see) and stays open.
      await long.tx`
        insert into grades (assessment_id, course_id, student_id, score) values (${math.assessments.Midterm.id}, ${math.id}, ${student.id}, 7)
        on conflict (assessment_id, student_id) do update set score = excluded.score`;
      const writes = async (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          const course = i % 2 ? hist : math;
          const who = i % 5 === 0 ? student.id : course.studentIds[i % course.studentIds.length];
          await app.ldb.setGrade(course.assessments['Homework 1'].id, course.id, who, 1 + i / 8);
        }
      };
      await writes(0, 30);
      const mid = await liveCursor(studentToken);
      const registered = newStreams(app.api);
      const streams = [
        {
          name: 'student, all courses, after before',
          stream: conn.student.subscribe(GRADE_CHANGED, { after: before }),
          after: before,
          viewer: student,
        },
        {
          name: 'student, all courses, after mid',
          stream: conn.student.subscribe(GRADE_CHANGED, { after: mid }),
          after: mid,
          viewer: student,
        },
        {
          name: 'instructor, MATH, after before',
          stream: conn.instructor.subscribe(GRADE_CHANGED, { courseId: math.id, after: before }),
          after: before,
          viewer: instructor,
          courseId: math.id,
        },
      ];
      const more = writes(30, 60); // while the streams replay and register
      await registered(streams.length);
      await more;
      await long.end();
      await app.ldb.setGrade(math.assessments['Quiz 1'].id, math.id, student.id, 3);

      const memberships = await loadMemberships(app.ldb.sql);
      for (const s of streams) {
        const rows = expectedFor(await app.ldb.outbox(s.after), s.viewer, memberships, {
          topic: 'grade',
          courseId: s.courseId,
        });
        const expected = rows.map((r) => r.cursor);
        await s.stream.find((e) => e.cursor === expected.at(-1), 15_000, `the sentinel (${s.name})`);
        expect(s.stream.cursors(), s.name).toEqual(expected);
        expect(strictlyIncreasing(s.stream.cursors()), s.name).toBe(true);
        expect(s.stream.errors, s.name).toEqual([]);
      }
      // The long transaction's grade: once in every stream (in commit order, checked above).
      const longGrade = (
        await app.ldb.sql<
          { id: string }[]
        >`select id from grades where assessment_id = ${math.assessments.Midterm.id} and student_id = ${student.id}`
      )[0].id;
      for (const s of streams) {
        const grades = s.stream.items.map((e: { grade: { id: string } }) => e.grade.id);
        expect(
          grades.filter((id) => id === longGrade),
          s.name,
        ).toHaveLength(1);
      }
    } finally {
      await long.abandon();
      await Promise.all([conn.student.dispose(), conn.instructor.dispose()]);
    }
  });
});
