/**
 * Grade history (every change of a grade cell, deletions too, by whom and when) and the admin
 * audit log of privileged changes (paginated, filterable by user).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, codes, startApi } from '../../test/api/api';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api?.stop());

async function ok(query: string, variables: Record<string, unknown>, email: string) {
  const result = await api.gql(query, variables, await api.tokenFor(email));
  expect(result.errors).toBeUndefined();
  return result.data;
}

const HISTORY = `query($a: ID!, $s: ID!) { gradeHistory(assessmentId: $a, studentId: $s) {
  action oldScore newScore oldNote newNote changedBy { email } changedAt } }`;

describe('grade history', () => {
  it('records create → update → delete → create again, old and new score and note, by whom; staff and the student see it', async () => {
    const math = api.f.course('MATH101');
    const quiz = math.assessments['Quiz 1'];
    const sam = api.f.user('student@homeroom.test');
    // The seed may have graded this cell: start from a clean trail.
    await api.sql`delete from grades where assessment_id = ${quiz.id} and student_id = ${sam}`;
    await api.sql`delete from grade_history where assessment_id = ${quiz.id} and student_id = ${sam}`;
    const RECORD = `mutation($a: ID!, $s: ID!, $score: Float!, $note: String) { recordGrade(assessmentId: $a, studentId: $s, score: $score, note: $note) { id } }`;
    const teacher = 'instructor@homeroom.test';
    await ok(RECORD, { a: quiz.id, s: sam, score: 5, note: 'late' }, teacher);
    const { recordGrade } = await ok(RECORD, { a: quiz.id, s: sam, score: 7, note: 'late' }, teacher);
    await ok(RECORD, { a: quiz.id, s: sam, score: 7, note: 'late' }, teacher); // no change: no entry
    await ok(`mutation($id: ID!) { deleteGrade(id: $id) { id } }`, { id: recordGrade.id }, teacher);
    await ok(RECORD, { a: quiz.id, s: sam, score: 8 }, 'admin@homeroom.test');

    const { gradeHistory } = await ok(HISTORY, { a: quiz.id, s: sam }, teacher);
    expect(gradeHistory.map(({ changedAt: _, ...c }: { changedAt: string }) => c)).toEqual([
      { action: 'CREATED', oldScore: null, newScore: 5, oldNote: null, newNote: 'late', changedBy: { email: teacher } },
      { action: 'UPDATED', oldScore: 5, newScore: 7, oldNote: 'late', newNote: 'late', changedBy: { email: teacher } },
      { action: 'DELETED', oldScore: 7, newScore: null, oldNote: 'late', newNote: null, changedBy: { email: teacher } },
      {
        action: 'CREATED',
        oldScore: null,
        newScore: 8,
        oldNote: null,
        newNote: null,
        changedBy: { email: 'admin@homeroom.test' },
      },
    ]);
    // The student sees their own trail, also through the grade itself.
    expect((await ok(HISTORY, { a: quiz.id, s: sam }, 'student@homeroom.test')).gradeHistory).toHaveLength(4);
    const mine = await ok(
      `query($id: ID!) { course(id: $id) { assessments { id grades { student { id } history { newScore } } } } }`,
      { id: math.id },
      'student@homeroom.test',
    );
    const cell = mine.course.assessments.find((x: { id: string }) => x.id === quiz.id);
    expect(
      cell.grades.map((g: { history: { newScore: number | null }[] }) => g.history.map((h) => h.newScore)),
    ).toEqual([[5, 7, null, 8]]);
    // A classmate, and a teacher of another course, may not.
    for (const email of ['student01@homeroom.test', 'instructor2@homeroom.test']) {
      const result = await api.gql(HISTORY, { a: quiz.id, s: sam }, await api.tokenFor(email));
      expect(codes(result)).toEqual(['FORBIDDEN']);
    }
  });
});

describe('audit log', () => {
  const LOG = `query($userId: ID, $action: AuditAction, $first: Int, $after: String) {
    auditLog(userId: $userId, action: $action, first: $first, after: $after) {
      edges { cursor node { action actor { email } targetUser { email } course { code } details at } }
      pageInfo { hasNextPage endCursor } } }`;

  it('records privileged changes — who, to whom, what — newest first, filterable by user and action, in pages', async () => {
    const admin = 'admin@homeroom.test';
    const target = api.f.user('student15@homeroom.test');
    const hist = api.f.course('HIST201');
    await ok(`mutation($id: ID!) { updateUser(id: $id, role: INSTRUCTOR) { id } }`, { id: target }, admin);
    await ok(
      `mutation($id: ID!) { updateUser(id: $id, role: STUDENT, name: "Fifteen") { id } }`,
      { id: target },
      admin,
    );
    await ok(`mutation($id: ID!) { deactivateUser(id: $id) { id } }`, { id: target }, admin);
    await ok(`mutation($id: ID!) { reactivateUser(id: $id) { id } }`, { id: target }, admin);
    await ok(`mutation($id: ID!) { resetPassword(id: $id) { temporaryPassword } }`, { id: target }, admin);
    await ok(
      `mutation($c: ID!, $s: ID!) { enrolStudent(courseId: $c, studentId: $s) { id } }`,
      { c: hist.id, s: target },
      admin,
    );

    const { auditLog } = await ok(LOG, { userId: target }, admin);
    const entries = auditLog.edges.map((e: { node: unknown }) => e.node);
    expect(entries.map((e: { action: string }) => e.action)).toEqual([
      'STUDENT_ENROLLED',
      'PASSWORD_RESET',
      'USER_REACTIVATED',
      'USER_DEACTIVATED',
      'ROLE_CHANGED',
      'USER_UPDATED',
      'ROLE_CHANGED',
    ]);
    expect(entries[0]).toMatchObject({
      actor: { email: admin },
      targetUser: { email: 'student15@homeroom.test' },
      course: { code: 'HIST201' },
    });
    expect(JSON.parse(entries[4].details)).toEqual({ from: 'INSTRUCTOR', to: 'STUDENT' });
    // Never the temporary password.
    expect(entries[1].details).not.toMatch(/temporary|password"/i);

    const roles = await ok(LOG, { userId: target, action: 'ROLE_CHANGED' }, admin);
    expect(roles.auditLog.edges).toHaveLength(2);

    const pages: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page: any = (await ok(LOG, { userId: target, first: 3, after }, admin)).auditLog;
      pages.push(...page.edges.map((e: { node: { action: string } }) => e.node.action));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toEqual(entries.map((e: { action: string }) => e.action));
  });

  it('is for admins only; a malformed or out-of-range cursor is BAD_USER_INPUT', async () => {
    for (const email of ['instructor@homeroom.test', 'student@homeroom.test']) {
      expect(codes(await api.gql(LOG, {}, await api.tokenFor(email)))).toEqual(['FORBIDDEN']);
    }
    const admin = await api.tokenFor('admin@homeroom.test');
    // Not a number; past a bigint (was INTERNAL_SERVER_ERROR, issue 18.5).
    for (const after of ['bm9wZQ', Buffer.from('9999999999999999999').toString('base64url')])
      expect(codes(await api.gql(LOG, { after }, admin))).toEqual(['BAD_USER_INPUT']);
  });
});
