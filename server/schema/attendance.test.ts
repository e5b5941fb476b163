/**
 * Attendance: `recordAttendance` upserts one record per student and session; totals follow.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, type ApiHarness, SAM, snapshot, startApi, TEACHER, TEACHER2, UNKNOWN_ID } from '../../test/api/api';

let api: ApiHarness;
let sql: postgres.Sql;
const token = (email: string) => api.tokenFor(email);

beforeAll(async () => {
  api = await startApi();
  sql = api.sql;
});
afterAll(() => api?.stop());

describe('attendance', () => {
  const RECORD = `mutation($session: ID!, $s: ID!, $status: AttendanceStatus!) {
    recordAttendance(sessionId: $session, studentId: $s, status: $status) { id status checkedInAt student { id } session { id } } }`;
  const TOTALS = `query($id: ID!) { course(id: $id) { myAttendanceTotals { present late absent excused recorded sessions } } }`;

  it('upserts one record per student and session, and the totals follow', async () => {
    const course = api.f.course('MATH101');
    const session = course.sessions['Lesson 3']; // started two days ago, nobody recorded yet
    const s = api.f.user(SAM);
    const teacher = await token(TEACHER);
    const samToken = await token(SAM);
    // Seed: Lessons 1 and 2 PRESENT; three sessions have started.
    expect((await api.ok(TOTALS, { id: course.id }, samToken)).course.myAttendanceTotals).toEqual({
      present: 2,
      late: 0,
      absent: 0,
      excused: 0,
      recorded: 2,
      sessions: 3,
    });

    const { recordAttendance: late } = await api.ok(RECORD, { session, s, status: 'LATE' }, teacher);
    expect(late).toMatchObject({ status: 'LATE', student: { id: s }, session: { id: session } });
    expect(late.checkedInAt).not.toBeNull();
    expect((await api.ok(TOTALS, { id: course.id }, samToken)).course.myAttendanceTotals).toEqual({
      present: 2,
      late: 1,
      absent: 0,
      excused: 0,
      recorded: 3,
      sessions: 3,
    });

    // Corrected to PRESENT: same row, check-in time kept.
    const { recordAttendance: present } = await api.ok(RECORD, { session, s, status: 'PRESENT' }, teacher);
    expect(present).toMatchObject({ id: late.id, status: 'PRESENT', checkedInAt: late.checkedInAt });

    // ABSENT clears the check-in.
    const { recordAttendance: absent } = await api.ok(RECORD, { session, s, status: 'ABSENT' }, await token(ADMIN));
    expect(absent).toMatchObject({ id: late.id, status: 'ABSENT', checkedInAt: null });
    expect(
      await sql`select status from attendance_records where session_id = ${session} and student_id = ${s}`,
    ).toEqual([{ status: 'ABSENT' }]);
    expect((await api.ok(TOTALS, { id: course.id }, samToken)).course.myAttendanceTotals).toEqual({
      present: 2,
      late: 0,
      absent: 1,
      excused: 0,
      recorded: 3,
      sessions: 3,
    });

    // Staff see the same totals for that student.
    const { course: staffView } = await api.ok(
      `query($id: ID!) { course(id: $id) { attendanceTotals { student { id } absent recorded } } }`,
      { id: course.id },
      teacher,
    );
    expect(staffView.attendanceTotals.find((t: { student: { id: string } }) => t.student.id === s)).toEqual({
      student: { id: s },
      absent: 1,
      recorded: 3,
    });
  });

  it.each([
    [
      'a student not in the course',
      () => ({ session: api.f.course('MATH101').sessions['Lesson 4'], s: api.f.user(TEACHER2), status: 'PRESENT' }),
      'BAD_USER_INPUT',
    ],
    [
      'a malformed session id',
      () => ({ session: 'lesson-4', s: api.f.user(SAM), status: 'PRESENT' }),
      'BAD_USER_INPUT',
    ],
    ['an unknown session', () => ({ session: UNKNOWN_ID, s: api.f.user(SAM), status: 'PRESENT' }), 'NOT_FOUND'],
  ])('refuses %s without touching a row', async (_what, variables, code) => {
    const before = await snapshot(sql, ['attendance_records']);
    await api.refused(RECORD, variables(), await token(TEACHER), code);
    expect(await snapshot(sql, ['attendance_records'])).toEqual(before);
  });

  it('refuses a status that does not exist (GraphQL validation)', async () => {
    const result = await api.gql(
      RECORD,
      { session: api.f.course('MATH101').sessions['Lesson 4'], s: api.f.user(SAM), status: 'ASLEEP' },
      await token(TEACHER),
    );
    expect(result.status).toBe(400);
    expect(result.errors?.[0].message).toMatch(/AttendanceStatus/);
  });
});
