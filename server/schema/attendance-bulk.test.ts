/**
 * markAllPresent: everyone without a record becomes PRESENT in one statement, exceptions taken by
 * hand stay, and every record marked is exactly one outbox event (so one live event per student).
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, codes, startApi } from '../../test/api/api';
import { waitFor } from '../../test/live/wait';

const TEACHER = 'instructor@homeroom.test'; // teaches MATH101
const TEACHER2 = 'instructor2@homeroom.test'; // does not
const SAM = 'student@homeroom.test';

const MARK_ALL = `mutation($sessionId: ID!) {
  markAllPresent(sessionId: $sessionId) { id records { id status student { id } } }
}`;
const RECORD = `mutation($sessionId: ID!, $studentId: ID!, $status: AttendanceStatus!) {
  recordAttendance(sessionId: $sessionId, studentId: $studentId, status: $status) { id status }
}`;
const UPDATES = `query($after: String!, $courseId: ID) {
  updates(after: $after, courseId: $courseId) {
    events { ... on AttendanceEvent { action record { id status student { id } } } }
  }
}`;

let api: ApiHarness;
let sql: postgres.Sql;
beforeAll(async () => {
  api = await startApi();
  sql = api.sql;
});
afterAll(() => api?.stop());

async function ok(query: string, variables: Record<string, unknown>, email: string) {
  const result = await api.gql(query, variables, await api.tokenFor(email));
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data;
}

const attendanceEventsAfter = (id: string) =>
  sql<{ entity_id: string; action: string }[]>`
    select entity_id, action from outbox where topic = 'attendance' and id > ${id} order by id`;
const lastOutboxId = async () =>
  (await sql<{ id: string }[]>`select coalesce(max(id), 0)::text as id from outbox`)[0].id;

describe('markAllPresent', () => {
  it('marks everyone not yet recorded, keeps the exceptions, one outbox event per record marked', async () => {
    const math = api.f.course('MATH101');
    const sessionId = math.sessions['Lesson 3'];
    const [late, absent] = math.studentIds;
    await ok(RECORD, { sessionId, studentId: late, status: 'LATE' }, TEACHER);
    await ok(RECORD, { sessionId, studentId: absent, status: 'ABSENT' }, TEACHER);
    const { liveCursor } = await ok('{ liveCursor }', {}, TEACHER);
    const before = await lastOutboxId();

    const { markAllPresent } = await ok(MARK_ALL, { sessionId }, TEACHER);

    const byStudent = new Map(markAllPresent.records.map((r: any) => [r.student.id, r.status]));
    expect(byStudent.size).toBe(math.studentIds.length);
    expect(byStudent.get(late)).toBe('LATE');
    expect(byStudent.get(absent)).toBe('ABSENT');
    expect([...byStudent.values()].filter((s) => s === 'PRESENT')).toHaveLength(math.studentIds.length - 2);

    const events = await attendanceEventsAfter(before);
    expect(events).toHaveLength(math.studentIds.length - 2);
    expect(new Set(events.map((e) => e.entity_id)).size).toBe(events.length);
    expect(events.every((e) => e.action === 'CREATED')).toBe(true);
    const marked = markAllPresent.records.filter((r: any) => r.status === 'PRESENT').map((r: any) => r.id);
    expect(events.map((e) => e.entity_id).sort()).toEqual(marked.sort());

    // The same events reach a client through the polling fallback, once each. `updates` returns only
    // settled events: a transaction open elsewhere on the server (a parallel test file) delays them.
    const polled = await waitFor(
      async () => {
        const { updates } = await ok(UPDATES, { after: liveCursor, courseId: math.id }, TEACHER);
        const found = updates.events.filter((e: any) => e.record);
        return found.length >= marked.length ? found : null;
      },
      { timeoutMs: 20_000, intervalMs: 100, what: 'the marked records in updates' },
    );
    expect(polled.map((e: any) => e.record.id).sort()).toEqual(marked.sort());

    // A second call marks nobody and writes no event.
    const again = await lastOutboxId();
    const second = await ok(MARK_ALL, { sessionId }, TEACHER);
    expect(second.markAllPresent.records).toHaveLength(math.studentIds.length);
    expect(await attendanceEventsAfter(again)).toHaveLength(0);
  });

  it('is for the course staff only; an unknown session is NOT_FOUND', async () => {
    const sessionId = api.f.course('MATH101').sessions['Lesson 4'];
    for (const email of [SAM, TEACHER2]) {
      const result = await api.gql(MARK_ALL, { sessionId }, await api.tokenFor(email));
      expect(codes(result)).toEqual(['FORBIDDEN']);
    }
    const unknown = await api.gql(
      MARK_ALL,
      { sessionId: '7d1f0c9e-0000-4000-8000-000000000000' },
      await api.tokenFor(TEACHER),
    );
    expect(codes(unknown)).toEqual(['NOT_FOUND']);
    expect((await sql`select 1 from attendance_records where session_id = ${sessionId}`).length).toBe(0);
  });
});
