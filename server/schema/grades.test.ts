/**
 * The gradebook: `recordGrade` and `deleteGrade`, their validation, the standing they move and the notification they send.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  type ApiHarness,
  codes,
  count,
  SAM,
  snapshot,
  startApi,
  TEACHER,
  TEACHER2,
  UNKNOWN_ID,
} from '../../test/api/api';

let api: ApiHarness;
let sql: postgres.Sql;
const token = (email: string) => api.tokenFor(email);

beforeAll(async () => {
  api = await startApi();
  sql = api.sql;
});
afterAll(() => api?.stop());

describe('recordGrade', () => {
  const RECORD = `mutation($a: ID!, $s: ID!, $score: Float!, $note: String) {
    recordGrade(assessmentId: $a, studentId: $s, score: $score, note: $note) { id score note student { id } assessment { id } updatedBy { id } updatedAt } }`;
  const math = () => api.f.course('MATH101');
  const gradesOf = (assessmentId: string, studentId: string) =>
    sql<
      { id: string; score: number; note: string | null }[]
    >`select id, score, note from grades where assessment_id = ${assessmentId} and student_id = ${studentId}`;

  it('creates the grade, then updates the same row', async () => {
    const a = math().assessments.Midterm.id;
    const s = api.f.user('student05@homeroom.test');
    expect(await gradesOf(a, s)).toEqual([]);
    const teacher = await token(TEACHER);

    const { recordGrade: created } = await api.ok(RECORD, { a, s, score: 64.5, note: 'first try' }, teacher);
    expect(created).toMatchObject({
      score: 64.5,
      note: 'first try',
      student: { id: s },
      assessment: { id: a },
      updatedBy: { id: api.f.user(TEACHER) },
    });
    expect(await gradesOf(a, s)).toEqual([{ id: created.id, score: 64.5, note: 'first try' }]);

    const { recordGrade: updated } = await api.ok(RECORD, { a, s, score: 71 }, await token(ADMIN));
    expect(updated).toMatchObject({ id: created.id, score: 71, note: null, updatedBy: { id: api.f.user(ADMIN) } });
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.updatedAt).getTime());
    expect(await gradesOf(a, s)).toEqual([{ id: created.id, score: 71, note: null }]);
  });

  it('accepts the bounds: zero and exactly the maximum', async () => {
    const a = math().assessments['Quiz 1'];
    const s = api.f.user('student06@homeroom.test');
    expect((await api.ok(RECORD, { a: a.id, s, score: 0 }, await token(TEACHER))).recordGrade.score).toBe(0);
    expect((await api.ok(RECORD, { a: a.id, s, score: a.maxScore }, await token(TEACHER))).recordGrade.score).toBe(
      a.maxScore,
    );
  });

  describe('refuses bad input without touching a row', () => {
    const midterm = () => math().assessments.Midterm.id;
    const cases: [string, () => Record<string, unknown>, string, string | RegExp][] = [
      [
        'a score above the maximum',
        () => ({ a: midterm(), s: api.f.user(SAM), score: 100.5 }),
        'BAD_USER_INPUT',
        'score must be a number from 0 to 100',
      ],
      [
        'a negative score',
        () => ({ a: midterm(), s: api.f.user(SAM), score: -1 }),
        'BAD_USER_INPUT',
        'score must be a number from 0 to 100',
      ],
      [
        'a student not enrolled in the course',
        () => ({ a: api.f.course('PHYS110').assessments.Midterm.id, s: api.f.user(SAM), score: 50 }),
        'BAD_USER_INPUT',
        'That student is not enrolled in this course',
      ],
      [
        'an instructor as the student',
        () => ({ a: api.f.course('PHYS110').assessments.Midterm.id, s: api.f.user(TEACHER), score: 50 }),
        'BAD_USER_INPUT',
        'That student is not enrolled in this course',
      ],
      [
        'a malformed assessment id',
        () => ({ a: 'assessment-1', s: api.f.user(SAM), score: 50 }),
        'BAD_USER_INPUT',
        'assessmentId is not a valid id',
      ],
      [
        'a malformed student id',
        () => ({ a: midterm(), s: "1' OR '1'='1", score: 50 }),
        'BAD_USER_INPUT',
        'studentId is not a valid id',
      ],
      [
        'an unknown assessment',
        () => ({ a: UNKNOWN_ID, s: api.f.user(SAM), score: 50 }),
        'NOT_FOUND',
        'Assessment not found',
      ],
      [
        'an unknown student',
        () => ({ a: midterm(), s: UNKNOWN_ID, score: 50 }),
        'BAD_USER_INPUT',
        'That student is not enrolled in this course',
      ],
      [
        'a note over 2000 characters',
        () => ({ a: midterm(), s: api.f.user(SAM), score: 50, note: 'n'.repeat(2001) }),
        'BAD_USER_INPUT',
        'note must be 0 to 2000 characters',
      ],
    ];
    it.each(cases)('%s', async (_what, variables, code, message) => {
      const vars = variables();
      // PHYS110 is instructor2's; every other case is in instructor@'s MATH101.
      const bearer = await token(vars.a === api.f.course('PHYS110').assessments.Midterm.id ? TEACHER2 : TEACHER);
      const before = await snapshot(sql, ['grades', 'notifications']);
      const error = await api.refused(RECORD, vars, bearer, code);
      if (typeof message === 'string') expect(error.message).toBe(message);
      else expect(error.message).toMatch(message);
      expect(await snapshot(sql, ['grades', 'notifications'])).toEqual(before);
    });
  });

  it('refuses a score that is not a finite number with BAD_USER_INPUT (literal 1e400; "NaN", 1e400, "80", null in variables)', async () => {
    const a = math().assessments.Midterm.id;
    const s = api.f.user(SAM);
    const teacher = await token(TEACHER);
    const before = await snapshot(sql, ['grades']);

    // As a literal, 1e400 parses to Infinity and reaches the resolver, which refuses it.
    const inline = await api.gql(
      `mutation($a: ID!, $s: ID!) { recordGrade(assessmentId: $a, studentId: $s, score: 1e400) { id } }`,
      { a, s },
      teacher,
    );
    expect(codes(inline)).toEqual(['BAD_USER_INPUT']);

    // In variables, GraphQL's Float coercion refuses the request before any resolver runs.
    for (const literal of ['"NaN"', '1e400', '"80"', 'null']) {
      const response = await api.fetch('/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          authorization: `Bearer ${teacher}`,
        },
        body: `{"query":${JSON.stringify(RECORD)},"variables":{"a":"${a}","s":"${s}","score":${literal}}}`,
      });
      expect(response.status, literal).toBe(400);
      const body = (await response.json()) as { errors: { message: string; extensions?: { code?: string } }[] };
      expect(
        body.errors.map((e) => e.extensions?.code),
        literal,
      ).toEqual(['BAD_USER_INPUT']);
      expect(body.errors[0].message).toMatch(/^Variable "\$score"/);
    }

    expect(await snapshot(sql, ['grades'])).toEqual(before);
  });

  it("changes the student's standing, and deleting the grade changes it back", async () => {
    const course = math();
    const STANDING = `query($id: ID!) { course(id: $id) { myStanding { average graded total } } }`;
    const STAFF_VIEW = `query($id: ID!) { course(id: $id) { standings { student { id } average graded total } } }`;
    const samToken = await token(SAM);
    // Seed: Quiz 1 5/10 and Homework 1 12/20 (weights 1 and 1), Midterm (weight 3) and Participation (weight 0) ungraded.
    const initial = { average: 55, graded: 2, total: 4 };
    expect((await api.ok(STANDING, { id: course.id }, samToken)).course.myStanding).toEqual(initial);

    const { recordGrade } = await api.ok(
      RECORD,
      { a: course.assessments.Midterm.id, s: api.f.user(SAM), score: 80 },
      await token(TEACHER),
    );
    // (0.5·1 + 0.6·1 + 0.8·3) / 5 = 70 %
    expect((await api.ok(STANDING, { id: course.id }, samToken)).course.myStanding).toEqual({
      average: 70,
      graded: 3,
      total: 4,
    });
    const staffView = (await api.ok(STAFF_VIEW, { id: course.id }, await token(TEACHER))).course.standings;
    expect(staffView.find((s: { student: { id: string } }) => s.student.id === api.f.user(SAM))).toEqual({
      student: { id: api.f.user(SAM) },
      average: 70,
      graded: 3,
      total: 4,
    });

    await api.ok(RECORD, { a: course.assessments.Midterm.id, s: api.f.user(SAM), score: 100 }, await token(TEACHER));
    // (0.5 + 0.6 + 3) / 5 = 82 %
    expect((await api.ok(STANDING, { id: course.id }, samToken)).course.myStanding.average).toBe(82);

    await api.ok(`mutation($id: ID!) { deleteGrade(id: $id) { id } }`, { id: recordGrade.id }, await token(TEACHER));
    expect((await api.ok(STANDING, { id: course.id }, samToken)).course.myStanding).toEqual(initial);
  });

  it('tells the student: a GRADE_RECORDED notification with the score', async () => {
    const course = math();
    const s = api.f.user('student07@homeroom.test');
    await api.ok(RECORD, { a: course.assessments.Midterm.id, s, score: 88 }, await token(TEACHER));
    const { notifications } = await api.ok(
      `{ notifications(first: 1) { edges { node { kind message link read } } } }`,
      {},
      await token('student07@homeroom.test'),
    );
    expect(notifications.edges[0].node).toMatchObject({
      kind: 'GRADE_RECORDED',
      read: false,
      message: expect.stringMatching(/MATH101.*Midterm.*88/),
    });
  });

  it('deleteGrade: unknown → NOT_FOUND, twice → NOT_FOUND the second time', async () => {
    const DELETE = `mutation($id: ID!) { deleteGrade(id: $id) { id score } }`;
    const teacher = await token(TEACHER);
    await api.refused(DELETE, { id: UNKNOWN_ID }, teacher, 'NOT_FOUND');
    await api.refused(DELETE, { id: 'grade-1' }, teacher, 'BAD_USER_INPUT');
    const [grade] = await gradesOf(math().assessments['Homework 1'].id, api.f.user('student08@homeroom.test'));
    expect((await api.ok(DELETE, { id: grade.id }, teacher)).deleteGrade).toEqual({ id: grade.id, score: grade.score });
    await api.refused(DELETE, { id: grade.id }, teacher, 'NOT_FOUND');
    expect(await count(sql, 'grades')).toBeGreaterThan(0);
  });
});
