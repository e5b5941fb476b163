/**
 * Behaviour of the GraphQL API, in-process (`yoga.fetch`) against a seeded database of this file's
 * own: sign-in and tokens, the gradebook, attendance, polls, the feed, notifications, input
 * handling and the HTTP endpoints. Who may do what is in authorization.test.ts.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiHarness, codes, count, snapshot, startApi } from '../test/api/api';
import { startTestApp, TEST_JWT_SECRET } from '../test/app';
import { createTokenService } from './auth/tokens';

const SAM = 'student@homeroom.test'; // in MATH101 and HIST201, not PHYS110
const TEACHER = 'instructor@homeroom.test'; // teaches MATH101
const TEACHER2 = 'instructor2@homeroom.test'; // teaches HIST201 and PHYS110
const ADMIN = 'admin@homeroom.test';
const UNKNOWN_ID = '7d1f0c9e-0000-4000-8000-000000000000';

let api: ApiHarness;
let sql: postgres.Sql;
const token = (email: string) => api.tokenFor(email);

beforeAll(async () => {
  api = await startApi();
  sql = api.sql;
});
afterAll(() => api?.stop());

/** Runs an operation that must fail, and returns its single error. */
async function refused(query: string, variables: Record<string, unknown>, bearer: string | null, code: string) {
  const result = await api.gql(query, variables, bearer);
  expect(codes(result), JSON.stringify(result.errors)).toEqual([code]);
  return result.errors![0];
}

/** Runs an operation that must succeed, and returns its data. */
async function ok<T = any>(
  query: string,
  variables: Record<string, unknown> = {},
  bearer: string | null = null,
): Promise<T> {
  const result = await api.gql<T>(query, variables, bearer);
  expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
  return result.data as T;
}

// ---------------------------------------------------------------------------------------------
describe('login', () => {
  const LOGIN = `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token expiresAt user { id email role } } }`;

  it('returns a token that identifies the user', async () => {
    const { login } = await ok(LOGIN, { email: SAM, password: 'homeroom' });
    expect(login.user).toEqual({ id: api.f.user(SAM), email: SAM, role: 'STUDENT' });
    expect(new Date(login.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const { me } = await ok(`{ me { id email } }`, {}, login.token);
    expect(me).toEqual({ id: api.f.user(SAM), email: SAM });
  });

  it('accepts the email in any case and with surrounding spaces', async () => {
    const { login } = await ok(LOGIN, { email: '  Student@HomeRoom.TEST ', password: 'homeroom' });
    expect(login.user.id).toBe(api.f.user(SAM));
  });

  it.each([
    ['a wrong password', SAM, 'not-the-password'],
    ['the password in another case', SAM, 'HOMEROOM'],
    ['an unknown email (same answer: accounts cannot be probed)', 'nobody@homeroom.test', 'homeroom'],
    ['an empty email', '', 'homeroom'],
    ['a SQL-looking email', "' OR '1'='1' --", "' OR '1'='1"],
    ['a huge email', `${'a'.repeat(100_000)}@homeroom.test`, 'homeroom'],
  ])('refuses %s with UNAUTHENTICATED', async (_what, email, password) => {
    const error = await refused(LOGIN, { email, password }, null, 'UNAUTHENTICATED');
    expect(error.message).toBe('Wrong email or password');
  });
});

// ---------------------------------------------------------------------------------------------
describe('tokens', () => {
  const RENEW = `mutation { renewToken { token expiresAt user { id email } } }`;
  const sam = () => ({ id: api.f.user(SAM), role: 'STUDENT' as const });
  /** The app's config: 15 min tokens, renewable up to 1 h after expiry, sessions of at most 7 days. */
  const tokens = (ttlSeconds: number, secret = TEST_JWT_SECRET) =>
    createTokenService({ secret, ttlSeconds, renewGraceSeconds: 3600, maxSessionSeconds: 7 * 24 * 3600 });

  it('renewToken keeps the user and the original sign-in time, with a later expiry', async () => {
    const authTime = Math.floor(Date.now() / 1000) - 600;
    const { token: old, expiresAt: oldExpiry } = await tokens(60).sign(sam(), authTime);
    const { renewToken } = await ok(RENEW, {}, old);
    expect(renewToken.user).toEqual({ id: api.f.user(SAM), email: SAM });
    expect(new Date(renewToken.expiresAt).getTime()).toBeGreaterThan(oldExpiry.getTime());
    const check = await api.app.tokens.verify(renewToken.token);
    expect(check.ok && check.claims).toMatchObject({ userId: api.f.user(SAM), role: 'STUDENT', authTime });
    const { courses } = await ok(`{ courses { code } }`, {}, renewToken.token);
    expect(courses.map((c: { code: string }) => c.code)).toEqual(['HIST201', 'MATH101']);
  });

  it('renews a token that expired within the grace period', async () => {
    const { token: expired } = await tokens(-60).sign(sam());
    const { renewToken } = await ok(RENEW, {}, expired);
    expect(renewToken.user.id).toBe(api.f.user(SAM));
  });

  it('refuses to renew a token expired beyond the grace period', async () => {
    const { token: stale } = await tokens(-(3600 + 120)).sign(sam());
    expect((await refused(RENEW, {}, stale, 'UNAUTHENTICATED')).message).toBe('Session expired: sign in again');
  });

  it('refuses to renew past the maximum session age, however fresh the token', async () => {
    const eightDaysAgo = Math.floor(Date.now() / 1000) - 8 * 24 * 3600;
    const { token: fresh } = await tokens(900).sign(sam(), eightDaysAgo);
    expect((await refused(RENEW, {}, fresh, 'UNAUTHENTICATED')).message).toBe('Session expired: sign in again');
  });

  it('refuses to renew without a token, or with a forged one', async () => {
    expect((await refused(RENEW, {}, null, 'UNAUTHENTICATED')).message).toBe('Send the current token to renew it');
    const { token: forged } = await tokens(900, 'another-secret-that-is-long-enough-0123456789').sign({
      id: api.f.user(SAM),
      role: 'ADMIN',
    });
    await refused(RENEW, {}, forged, 'UNAUTHENTICATED');
  });

  it('refuses to renew the token of an account that no longer exists', async () => {
    const { token: ghost } = await tokens(900).sign({ id: UNKNOWN_ID, role: 'STUDENT' });
    expect((await refused(RENEW, {}, ghost, 'UNAUTHENTICATED')).message).toBe('This account no longer exists');
  });

  it.each([
    ['no token', async () => null, 'Sign in first: send "Authorization: Bearer <token>"'],
    ['a garbage token', async () => 'not.a.jwt', 'Invalid token: sign in again'],
    [
      'a token signed with another secret (claiming ADMIN)',
      async () => (await tokens(900, 'x'.repeat(40)).sign({ id: api.f.user(SAM), role: 'ADMIN' })).token,
      'Invalid token: sign in again',
    ],
    [
      'a tampered token (payload edited, signature kept)',
      async () => {
        const [header, payload, signature] = (await tokens(900).sign(sam())).token.split('.');
        const claims = { ...JSON.parse(Buffer.from(payload, 'base64url').toString()), role: 'ADMIN' };
        return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
      },
      'Invalid token: sign in again',
    ],
    ['an expired token', async () => (await tokens(-5).sign(sam())).token, 'Token expired: renew it or sign in again'],
  ])('with %s, a protected query says why it is refused', async (_what, make, message) => {
    const error = await refused(`{ courses { code } }`, {}, await make(), 'UNAUTHENTICATED');
    expect(error.message).toBe(message);
  });

  it('an unusable token never grants anything: `me` is null', async () => {
    const { token: expired } = await tokens(-5).sign(sam());
    expect(await ok(`{ me { id } }`, {}, expired)).toEqual({ me: null });
    expect(await ok(`{ me { id } }`, {}, 'not.a.jwt')).toEqual({ me: null });
  });
});

// ---------------------------------------------------------------------------------------------
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

    const { recordGrade: created } = await ok(RECORD, { a, s, score: 64.5, note: 'first try' }, teacher);
    expect(created).toMatchObject({
      score: 64.5,
      note: 'first try',
      student: { id: s },
      assessment: { id: a },
      updatedBy: { id: api.f.user(TEACHER) },
    });
    expect(await gradesOf(a, s)).toEqual([{ id: created.id, score: 64.5, note: 'first try' }]);

    const { recordGrade: updated } = await ok(RECORD, { a, s, score: 71 }, await token(ADMIN));
    expect(updated).toMatchObject({ id: created.id, score: 71, note: null, updatedBy: { id: api.f.user(ADMIN) } });
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(created.updatedAt).getTime());
    expect(await gradesOf(a, s)).toEqual([{ id: created.id, score: 71, note: null }]);
  });

  it('accepts the bounds: zero and exactly the maximum', async () => {
    const a = math().assessments['Quiz 1'];
    const s = api.f.user('student06@homeroom.test');
    expect((await ok(RECORD, { a: a.id, s, score: 0 }, await token(TEACHER))).recordGrade.score).toBe(0);
    expect((await ok(RECORD, { a: a.id, s, score: a.maxScore }, await token(TEACHER))).recordGrade.score).toBe(
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
      const error = await refused(RECORD, vars, bearer, code);
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
    expect((await ok(STANDING, { id: course.id }, samToken)).course.myStanding).toEqual(initial);

    const { recordGrade } = await ok(
      RECORD,
      { a: course.assessments.Midterm.id, s: api.f.user(SAM), score: 80 },
      await token(TEACHER),
    );
    // (0.5·1 + 0.6·1 + 0.8·3) / 5 = 70 %
    expect((await ok(STANDING, { id: course.id }, samToken)).course.myStanding).toEqual({
      average: 70,
      graded: 3,
      total: 4,
    });
    const staffView = (await ok(STAFF_VIEW, { id: course.id }, await token(TEACHER))).course.standings;
    expect(staffView.find((s: { student: { id: string } }) => s.student.id === api.f.user(SAM))).toEqual({
      student: { id: api.f.user(SAM) },
      average: 70,
      graded: 3,
      total: 4,
    });

    await ok(RECORD, { a: course.assessments.Midterm.id, s: api.f.user(SAM), score: 100 }, await token(TEACHER));
    // (0.5 + 0.6 + 3) / 5 = 82 %
    expect((await ok(STANDING, { id: course.id }, samToken)).course.myStanding.average).toBe(82);

    await ok(`mutation($id: ID!) { deleteGrade(id: $id) { id } }`, { id: recordGrade.id }, await token(TEACHER));
    expect((await ok(STANDING, { id: course.id }, samToken)).course.myStanding).toEqual(initial);
  });

  it('tells the student: a GRADE_RECORDED notification with the score', async () => {
    const course = math();
    const s = api.f.user('student07@homeroom.test');
    await ok(RECORD, { a: course.assessments.Midterm.id, s, score: 88 }, await token(TEACHER));
    const { notifications } = await ok(
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
    await refused(DELETE, { id: UNKNOWN_ID }, teacher, 'NOT_FOUND');
    await refused(DELETE, { id: 'grade-1' }, teacher, 'BAD_USER_INPUT');
    const [grade] = await gradesOf(math().assessments['Homework 1'].id, api.f.user('student08@homeroom.test'));
    expect((await ok(DELETE, { id: grade.id }, teacher)).deleteGrade).toEqual({ id: grade.id, score: grade.score });
    await refused(DELETE, { id: grade.id }, teacher, 'NOT_FOUND');
    expect(await count(sql, 'grades')).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------------
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
    expect((await ok(TOTALS, { id: course.id }, samToken)).course.myAttendanceTotals).toEqual({
      present: 2,
      late: 0,
      absent: 0,
      excused: 0,
      recorded: 2,
      sessions: 3,
    });

    const { recordAttendance: late } = await ok(RECORD, { session, s, status: 'LATE' }, teacher);
    expect(late).toMatchObject({ status: 'LATE', student: { id: s }, session: { id: session } });
    expect(late.checkedInAt).not.toBeNull();
    expect((await ok(TOTALS, { id: course.id }, samToken)).course.myAttendanceTotals).toEqual({
      present: 2,
      late: 1,
      absent: 0,
      excused: 0,
      recorded: 3,
      sessions: 3,
    });

    // Corrected to PRESENT: same row, check-in time kept.
    const { recordAttendance: present } = await ok(RECORD, { session, s, status: 'PRESENT' }, teacher);
    expect(present).toMatchObject({ id: late.id, status: 'PRESENT', checkedInAt: late.checkedInAt });

    // ABSENT clears the check-in.
    const { recordAttendance: absent } = await ok(RECORD, { session, s, status: 'ABSENT' }, await token(ADMIN));
    expect(absent).toMatchObject({ id: late.id, status: 'ABSENT', checkedInAt: null });
    expect(
      await sql`select status from attendance_records where session_id = ${session} and student_id = ${s}`,
    ).toEqual([{ status: 'ABSENT' }]);
    expect((await ok(TOTALS, { id: course.id }, samToken)).course.myAttendanceTotals).toEqual({
      present: 2,
      late: 0,
      absent: 1,
      excused: 0,
      recorded: 3,
      sessions: 3,
    });

    // Staff see the same totals for that student.
    const { course: staffView } = await ok(
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
    await refused(RECORD, variables(), await token(TEACHER), code);
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

// ---------------------------------------------------------------------------------------------
describe('polls', () => {
  const OPEN = `mutation($c: ID!, $q: String!, $options: [String!]!, $closesAt: DateTime) {
    openPoll(courseId: $c, question: $q, options: $options, closesAt: $closesAt) { id question status closesAt totalVotes myVote options { id label votes } } }`;
  const VOTE = `mutation($p: ID!, $o: ID!) { castVote(pollId: $p, optionId: $o) { id status myVote totalVotes options { id label votes } } }`;
  const tally = (poll: { options: { label: string; votes: number }[] }) =>
    Object.fromEntries(poll.options.map((o) => [o.label, o.votes]));

  describe('openPoll refuses bad input and creates nothing', () => {
    it.each([
      ['fewer than two options', { q: 'Which?', options: ['Only one'] }, /2 to 20 options/],
      ['no options', { q: 'Which?', options: [] }, /2 to 20 options/],
      [
        'more than 20 options',
        { q: 'Which?', options: Array.from({ length: 21 }, (_, i) => `Option ${i}`) },
        /2 to 20 options/,
      ],
      ['duplicate options', { q: 'Which?', options: ['Yes', 'No', 'Yes'] }, 'Options must be different'],
      [
        'options that differ only in case or spaces',
        { q: 'Which?', options: ['Yes', ' yes '] },
        'Options must be different',
      ],
      ['an empty option', { q: 'Which?', options: ['Yes', '  '] }, /options must not be empty/],
      ['an empty question', { q: '   ', options: ['Yes', 'No'] }, 'question must not be empty'],
      [
        'a closing time in the past',
        { q: 'Which?', options: ['Yes', 'No'], closesAt: '2020-01-01T00:00:00Z' },
        'closesAt must be in the future',
      ],
      [
        'a closing time that is not a date',
        { q: 'Which?', options: ['Yes', 'No'], closesAt: 'tomorrow' },
        /DateTime must be an ISO-8601 string/,
      ],
    ])('%s', async (_what, variables, message) => {
      const before = await snapshot(sql, ['polls', 'poll_options', 'notifications']);
      const result = await api.gql(OPEN, { c: api.f.course('MATH101').id, ...variables }, await token(TEACHER));
      expect(codes(result)).toEqual(['BAD_USER_INPUT']);
      if (typeof message === 'string') expect(result.errors![0].message).toBe(message);
      else expect(result.errors![0].message).toMatch(message);
      expect(await snapshot(sql, ['polls', 'poll_options', 'notifications'])).toEqual(before);
    });
  });

  it('open → vote → change vote (still one ballot) → close; tallies follow, votes on a closed poll are refused', async () => {
    const course = api.f.course('MATH101');
    const closesAt = new Date(Date.now() + 24 * 3600_000).toISOString();
    const { openPoll: poll } = await ok(
      OPEN,
      { c: course.id, q: 'Field trip?', options: ['Museum', 'Zoo', 'Park'], closesAt },
      await token(TEACHER),
    );
    expect(poll).toMatchObject({ question: 'Field trip?', status: 'OPEN', closesAt, totalVotes: 0, myVote: null });
    expect(tally(poll)).toEqual({ Museum: 0, Zoo: 0, Park: 0 });
    const option = Object.fromEntries(poll.options.map((o: { id: string; label: string }) => [o.label, o.id]));

    // Every student of the course is told.
    const [{ n: told }] =
      await sql`select count(*)::int as n from notifications where kind = 'POLL_OPENED' and message like '%Field trip?%'`;
    expect(told).toBe(course.studentIds.length);

    const sam = await token(SAM);
    const other = await token('student01@homeroom.test');
    let voted = (await ok(VOTE, { p: poll.id, o: option.Museum }, sam)).castVote;
    expect(voted).toMatchObject({ myVote: option.Museum, totalVotes: 1 });
    voted = (await ok(VOTE, { p: poll.id, o: option.Museum }, other)).castVote;
    expect(tally(voted)).toEqual({ Museum: 2, Zoo: 0, Park: 0 });

    // Sam changes their mind: still one ballot.
    voted = (await ok(VOTE, { p: poll.id, o: option.Zoo }, sam)).castVote;
    expect(voted).toMatchObject({ myVote: option.Zoo, totalVotes: 2 });
    expect(tally(voted)).toEqual({ Museum: 1, Zoo: 1, Park: 0 });
    expect(
      await sql`select option_id from ballots where poll_id = ${poll.id} and voter_id = ${api.f.user(SAM)}`,
    ).toEqual([{ option_id: option.Zoo }]);
    // Voting the same option again changes nothing.
    expect(tally((await ok(VOTE, { p: poll.id, o: option.Zoo }, sam)).castVote)).toEqual({
      Museum: 1,
      Zoo: 1,
      Park: 0,
    });

    // Everyone reads the same tallies; each sees their own vote.
    const read = async (bearer: string) =>
      (
        await ok(
          `query($id: ID!) { course(id: $id) { polls { id myVote totalVotes options { label votes } } } }`,
          { id: course.id },
          bearer,
        )
      ).course.polls.find((p: { id: string }) => p.id === poll.id);
    expect(await read(other)).toMatchObject({ myVote: option.Museum, totalVotes: 2 });
    expect(await read(await token(TEACHER))).toMatchObject({ myVote: null, totalVotes: 2 });

    // An option of another poll is not an option of this one.
    const before = await snapshot(sql, ['ballots']);
    const foreign = await refused(
      VOTE,
      { p: poll.id, o: course.poll.options['Friday morning'] },
      sam,
      'BAD_USER_INPUT',
    );
    expect(foreign.message).toBe('That option is not part of this poll');
    await refused(VOTE, { p: poll.id, o: 'museum' }, sam, 'BAD_USER_INPUT');
    await refused(VOTE, { p: UNKNOWN_ID, o: option.Park }, sam, 'NOT_FOUND');

    const { closePoll } = await ok(
      `mutation($id: ID!) { closePoll(id: $id) { id status totalVotes } }`,
      { id: poll.id },
      await token(TEACHER),
    );
    expect(closePoll).toEqual({ id: poll.id, status: 'CLOSED', totalVotes: 2 });
    const closed = await refused(VOTE, { p: poll.id, o: option.Park }, sam, 'BAD_USER_INPUT');
    expect(closed.message).toBe('This poll is closed');
    expect(await snapshot(sql, ['ballots'])).toEqual(before);

    // Closing again is harmless.
    expect(
      (await ok(`mutation($id: ID!) { closePoll(id: $id) { status } }`, { id: poll.id }, await token(TEACHER)))
        .closePoll.status,
    ).toBe('CLOSED');
  });

  it('a poll past its closing time reads CLOSED and refuses votes, even before anyone closes it', async () => {
    const course = api.f.course('MATH101');
    const [poll] = await sql<{ id: string }[]>`
      insert into polls (course_id, question, closes_at) values (${course.id}, 'Expired?', now() - interval '1 minute') returning id`;
    const [a] = await sql<
      { id: string }[]
    >`insert into poll_options (poll_id, label, position) values (${poll.id}, 'a', 0), (${poll.id}, 'b', 1) returning id`;
    const { course: view } = await ok(
      `query($id: ID!) { course(id: $id) { polls { id status } } }`,
      { id: course.id },
      await token(SAM),
    );
    expect(view.polls.find((p: { id: string }) => p.id === poll.id).status).toBe('CLOSED');
    await refused(VOTE, { p: poll.id, o: a.id }, await token(SAM), 'BAD_USER_INPUT');
    expect(await count(sql, 'ballots')).toBeGreaterThan(0);
    expect(await sql`select 1 from ballots where poll_id = ${poll.id}`).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------
describe('posts and comments', () => {
  const FEED = `query($id: ID!, $first: Int, $after: String) {
    course(id: $id) { posts(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id body createdAt } } } } }`;
  const POST = `mutation($c: ID!, $body: String!, $announcement: Boolean) { createPost(courseId: $c, body: $body, announcement: $announcement) { id body announcement createdAt author { id } } }`;
  type Page = {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; body: string; createdAt: string } }[];
  };

  async function readAll(courseId: string, first: number, bearer: string, between?: () => Promise<void>) {
    const ids: string[] = [];
    const createdAt: string[] = [];
    let after: string | null = null;
    for (let pages = 1; ; pages++) {
      expect(pages, 'pagination does not end').toBeLessThan(100);
      const page: Page = (await ok(FEED, { id: courseId, first, after }, bearer)).course.posts;
      expect(page.edges.length).toBeLessThanOrEqual(first);
      ids.push(...page.edges.map((e) => e.node.id));
      createdAt.push(...page.edges.map((e) => e.node.createdAt));
      if (page.edges.length) expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
      if (!page.pageInfo.hasNextPage) return { ids, createdAt, pages };
      after = page.pageInfo.endCursor;
      if (pages === 1) await between?.();
    }
  }

  it('pages through the feed newest first with first/after: every post once, stable while new posts arrive', async () => {
    const course = api.f.course('PHYS110');
    const author = api.f.user(TEACHER2);
    // 23 posts a minute apart (plus the seed's 2), written directly so their times are known.
    await sql`insert into posts (course_id, author_id, body, created_at)
              select ${course.id}, ${author}, 'Post ' || i, now() - make_interval(mins => 100 + i) from generate_series(1, 23) i`;
    const all = await sql<
      { id: string }[]
    >`select id from posts where course_id = ${course.id} order by created_at desc, id desc`;
    expect(all).toHaveLength(25);
    const bearer = await token(TEACHER2);

    // A new post arrives after the first page: later pages neither repeat nor skip the older ones.
    let arrived = '';
    const feed = await readAll(course.id, 4, bearer, async () => {
      arrived = (await ok(POST, { c: course.id, body: 'Breaking news' }, bearer)).createPost.id;
    });
    expect(feed.ids).not.toContain(arrived);
    expect(feed.ids).toEqual(all.map((r) => r.id));
    expect(new Set(feed.ids).size).toBe(feed.ids.length);
    expect(feed.pages).toBe(7);
    const times = feed.createdAt.map((t) => new Date(t).getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // Read again from the top: the new post comes first; totalCount counts it.
    const first: Page = (await ok(FEED, { id: course.id, first: 2 }, bearer)).course.posts;
    expect(first.edges[0].node.id).toBe(arrived);
    expect(first.totalCount).toBe(26);
  });

  it('pages completely through posts written in one transaction (identical microsecond timestamps)', async () => {
    // Regression: cursors once carried created_at rounded to milliseconds and skipped such rows.
    const [course] = await sql<
      { id: string }[]
    >`insert into courses (code, title) values ('IMPORT1', 'Imported') returning id`;
    const author = api.f.user(TEACHER2);
    await sql`insert into teaching_assignments (course_id, instructor_id) values (${course.id}, ${author})`;
    await sql`insert into posts (course_id, author_id, body, created_at)
              select ${course.id}, ${author}, 'Imported ' || i, '2031-01-01 10:00:00.123456+00' from generate_series(1, 5) i`;
    await sql`insert into posts (course_id, author_id, body, created_at) values (${course.id}, ${author}, 'Older', '2031-01-01 10:00:00.123+00')`;
    const all = await sql<
      { id: string }[]
    >`select id from posts where course_id = ${course.id} order by created_at desc, id desc`;
    for (const first of [1, 2, 5]) {
      const feed = await readAll(course.id, first, await token(TEACHER2));
      expect(feed.ids, `first: ${first}`).toEqual(all.map((r) => r.id));
    }
  });

  it.each([
    ['first: 0', { first: 0 }],
    ['first: 101', { first: 101 }],
    ['first: -1', { first: -1 }],
    ['a garbage cursor', { after: 'not-a-cursor' }],
  ])('refuses %s with BAD_USER_INPUT', async (_what, args) => {
    await refused(FEED, { id: api.f.course('MATH101').id, ...args }, await token(SAM), 'BAD_USER_INPUT');
  });

  it('comments: created in order, counted, by their author', async () => {
    const course = api.f.course('MATH101');
    const { createPost: post } = await ok(POST, { c: course.id, body: 'Who has the notes?' }, await token(SAM));
    expect(post).toMatchObject({ body: 'Who has the notes?', announcement: false, author: { id: api.f.user(SAM) } });
    const COMMENT = `mutation($p: ID!, $body: String!) { createComment(postId: $p, body: $body) { id body author { id } post { id } } }`;
    await ok(COMMENT, { p: post.id, body: 'I do' }, await token('student02@homeroom.test'));
    await ok(COMMENT, { p: post.id, body: 'Sharing them after class' }, await token(TEACHER));
    await refused(COMMENT, { p: UNKNOWN_ID, body: 'Hello?' }, await token(SAM), 'NOT_FOUND');
    await refused(COMMENT, { p: 'post-1', body: 'Hello?' }, await token(SAM), 'BAD_USER_INPUT');
    const { course: view } = await ok(
      `query($id: ID!) { course(id: $id) { posts(first: 1) { edges { node { id commentCount comments { body author { email } } } } } } }`,
      { id: course.id },
      await token(SAM),
    );
    expect(view.posts.edges[0].node).toEqual({
      id: post.id,
      commentCount: 2,
      comments: [
        { body: 'I do', author: { email: 'student02@homeroom.test' } },
        { body: 'Sharing them after class', author: { email: TEACHER } },
      ],
    });
  });

  it('an announcement notifies the course (everyone but its author)', async () => {
    const course = api.f.course('HIST201');
    const { createPost } = await ok(
      POST,
      { c: course.id, body: 'No class on Friday', announcement: true },
      await token(TEACHER2),
    );
    expect(createPost.announcement).toBe(true);
    const rows = await sql<
      { user_id: string }[]
    >`select user_id from notifications where kind = 'ANNOUNCEMENT' and message like '%No class on Friday%'`;
    expect(new Set(rows.map((r) => r.user_id))).toEqual(new Set(course.studentIds));
  });
});

// ---------------------------------------------------------------------------------------------
describe('notifications', () => {
  const LIST = `query($first: Int, $after: String) { notifications(first: $first, after: $after) {
    unreadCount pageInfo { hasNextPage endCursor } edges { cursor node { id kind message link read createdAt } } } }`;
  let reader: string;
  let bearer: string;
  let ids: string[]; // newest first

  beforeAll(async () => {
    // A new student with nine notifications of their own, a minute apart; someone else has one too.
    const [user] = await sql<{ id: string }[]>`
      insert into users (email, name, role, password_hash) values ('reader@homeroom.test', 'Rita Reader', 'STUDENT', 'x') returning id`;
    reader = user.id;
    bearer = await token('reader@homeroom.test');
    const rows = await sql<{ id: string }[]>`
      insert into notifications (user_id, kind, message, link, created_at)
      select ${reader}, 'ANNOUNCEMENT', 'Notice ' || i, '/notices/' || i, now() - make_interval(mins => i) from generate_series(1, 9) i
      returning id`;
    ids = rows.map((r) => r.id); // Notice 1 is the newest
  });

  it('pages newest first without repeats, with the unread count', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const { notifications: n }: { notifications: any } = await ok(LIST, { first: 4, after }, bearer);
      expect(n.unreadCount).toBe(9);
      seen.push(...n.edges.map((e: { node: { id: string } }) => e.node.id));
      expect(n.pageInfo.hasNextPage).toBe(page < 2);
      after = n.pageInfo.endCursor;
    }
    expect(seen).toEqual(ids);
    const { notifications: first } = await ok(LIST, { first: 1 }, bearer);
    expect(first.edges[0].node).toMatchObject({
      kind: 'ANNOUNCEMENT',
      message: 'Notice 1',
      link: '/notices/1',
      read: false,
    });
  });

  it('marks one read and unread again, then all read; only the caller’s own', async () => {
    const MARK = `mutation($id: ID!, $read: Boolean) { markNotificationRead(id: $id, read: $read) { id read } }`;
    expect((await ok(MARK, { id: ids[0] }, bearer)).markNotificationRead).toEqual({ id: ids[0], read: true });
    expect((await ok(LIST, { first: 1 }, bearer)).notifications).toMatchObject({
      unreadCount: 8,
      edges: [{ node: { read: true } }],
    });
    expect((await ok(MARK, { id: ids[0], read: false }, bearer)).markNotificationRead).toEqual({
      id: ids[0],
      read: false,
    });
    expect((await ok(LIST, { first: 1 }, bearer)).notifications.unreadCount).toBe(9);

    await ok(MARK, { id: ids[3] }, bearer);
    const othersBefore = await sql`select id, read_at from notifications where user_id <> ${reader} order by id`;
    expect((await ok(`mutation { markAllNotificationsRead }`, {}, bearer)).markAllNotificationsRead).toBe(8);
    expect((await ok(LIST, { first: 20 }, bearer)).notifications.unreadCount).toBe(0);
    expect((await ok(`mutation { markAllNotificationsRead }`, {}, bearer)).markAllNotificationsRead).toBe(0);
    expect(await sql`select id, read_at from notifications where user_id <> ${reader} order by id`).toEqual(
      othersBefore,
    );
  });

  it("someone else's notification is NOT_FOUND (and stays as it was); a malformed id is BAD_USER_INPUT", async () => {
    const [theirs] = await sql<
      { id: string; read_at: Date | null }[]
    >`select id, read_at from notifications where user_id = ${api.f.user(SAM)} limit 1`;
    const MARK = `mutation($id: ID!) { markNotificationRead(id: $id) { id } }`;
    expect((await refused(MARK, { id: theirs.id }, bearer, 'NOT_FOUND')).message).toBe('Notification not found');
    expect((await refused(MARK, { id: theirs.id }, await token(ADMIN), 'NOT_FOUND')).message).toBe(
      'Notification not found',
    );
    await refused(MARK, { id: UNKNOWN_ID }, bearer, 'NOT_FOUND');
    await refused(MARK, { id: 'n-1' }, bearer, 'BAD_USER_INPUT');
    expect(await sql`select id, read_at from notifications where id = ${theirs.id}`).toEqual([theirs]);
  });

  it("pages one at a time through notifications made in one transaction (the seed's, via triggers)", async () => {
    const userId = api.f.user('student09@homeroom.test');
    const expected = await sql<
      { id: string }[]
    >`select id from notifications where user_id = ${userId} order by created_at desc, id desc`;
    const [{ instants }] =
      await sql`select count(distinct created_at)::int as instants from notifications where user_id = ${userId}`;
    expect(expected.length).toBeGreaterThan(instants); // several share one timestamp
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 50; page++) {
      const { notifications: n }: { notifications: any } = await ok(
        LIST,
        { first: 1, after },
        await token('student09@homeroom.test'),
      );
      seen.push(...n.edges.map((e: { node: { id: string } }) => e.node.id));
      if (!n.pageInfo.hasNextPage) break;
      after = n.pageInfo.endCursor;
    }
    expect(seen).toEqual(expected.map((r) => r.id));
  });

  it('refuses bad page arguments', async () => {
    await refused(LIST, { first: 0 }, bearer, 'BAD_USER_INPUT');
    await refused(LIST, { first: 1000 }, bearer, 'BAD_USER_INPUT');
    await refused(LIST, { after: '%%%' }, bearer, 'BAD_USER_INPUT');
  });
});

// ---------------------------------------------------------------------------------------------
describe('input handling', () => {
  const POST = `mutation($c: ID!, $body: String!) { createPost(courseId: $c, body: $body) { id body } }`;
  const SQLISH = [
    "Robert'); DROP TABLE posts;--",
    "' OR 1=1; --",
    "1; UPDATE users SET role = 'ADMIN' WHERE true; --",
    '$1 $$ \\x00 %s %d ${jndi:ldap://x}',
    'Ünïcödé ✓ — 学校 — 🎒',
  ];

  it.each(SQLISH)('stores %j verbatim (post, comment, poll question)', async (text) => {
    const course = api.f.course('MATH101');
    const { createPost } = await ok(POST, { c: course.id, body: text }, await token(SAM));
    expect(createPost.body).toBe(text);
    expect((await sql`select body from posts where id = ${createPost.id}`)[0].body).toBe(text);
    const { createComment } = await ok(
      `mutation($p: ID!, $body: String!) { createComment(postId: $p, body: $body) { body } }`,
      { p: createPost.id, body: text },
      await token(SAM),
    );
    expect(createComment.body).toBe(text);
    const { openPoll } = await ok(
      `mutation($c: ID!, $q: String!) { openPoll(courseId: $c, question: $q, options: [$q, "other"]) { question options { label } } }`,
      { c: course.id, q: text },
      await token(TEACHER),
    );
    expect(openPoll).toEqual({ question: text, options: [{ label: text }, { label: 'other' }] });
    // Nothing was dropped or promoted.
    expect(await count(sql, 'posts')).toBeGreaterThan(0);
    expect((await sql`select role from users where email = ${SAM}`)[0].role).toBe('STUDENT');
  });

  it.each([
    ['an empty post', POST, () => ({ c: api.f.course('MATH101').id, body: '' }), 'posts', 'body must not be empty'],
    [
      'a blank post',
      POST,
      () => ({ c: api.f.course('MATH101').id, body: ' \n\t ' }),
      'posts',
      'body must not be empty',
    ],
    [
      'a post over 10,000 characters',
      POST,
      () => ({ c: api.f.course('MATH101').id, body: 'x'.repeat(10_001) }),
      'posts',
      'body must be 1 to 10000 characters',
    ],
    [
      'a 2 MB post',
      POST,
      () => ({ c: api.f.course('MATH101').id, body: 'x'.repeat(2_000_000) }),
      'posts',
      'body must be 1 to 10000 characters',
    ],
    [
      'an empty comment',
      `mutation($p: ID!, $body: String!) { createComment(postId: $p, body: $body) { id } }`,
      () => ({ p: api.f.course('MATH101').posts.welcome, body: '' }),
      'comments',
      'body must not be empty',
    ],
    [
      'a comment over 5,000 characters',
      `mutation($p: ID!, $body: String!) { createComment(postId: $p, body: $body) { id } }`,
      () => ({ p: api.f.course('MATH101').posts.welcome, body: 'y'.repeat(5001) }),
      'comments',
      'body must be 1 to 5000 characters',
    ],
    [
      'a course with an empty code',
      `mutation($code: String!) { createCourse(code: $code, title: "T") { id } }`,
      () => ({ code: '' }),
      'courses',
      'code must not be empty',
    ],
    [
      'a user with a huge name',
      `mutation($name: String!) { createUser(email: "huge@homeroom.test", name: $name, role: STUDENT, password: "long-enough") { id } }`,
      () => ({ name: 'n'.repeat(100_000) }),
      'users',
      'name must be 1 to 200 characters',
    ],
  ])(
    'refuses %s clearly (BAD_USER_INPUT naming the field) and stores nothing',
    async (_what, query, variables, table, message) => {
      const bearer = await token(query.includes('createCourse') || query.includes('createUser') ? ADMIN : SAM);
      const before = await snapshot(sql, [table]);
      const error = await refused(query, variables(), bearer, 'BAD_USER_INPUT');
      expect(error.message).toBe(message);
      expect(await snapshot(sql, [table])).toEqual(before);
    },
  );

  it('refuses text with a NUL character (Postgres text cannot hold it) with BAD_USER_INPUT', async () => {
    const before = await snapshot(sql, ['posts']);
    const error = await refused(
      POST,
      { c: api.f.course('MATH101').id, body: 'nul\u0000byte' },
      await token(SAM),
      'BAD_USER_INPUT',
    );
    expect(error.message).toBe('body must not contain NUL characters');
    expect(await snapshot(sql, ['posts'])).toEqual(before);
    const login = await refused(
      `mutation($e: String!) { login(email: $e, password: "homeroom") { token } }`,
      { e: 'student\u0000@homeroom.test' },
      null,
      'UNAUTHENTICATED',
    );
    expect(login.message).toBe('Wrong email or password');
  });

  it.each([
    ['year 275760 (the largest JS date)', '+275760-09-13T00:00:00.000Z'],
    ['year 0', '0000-01-01T00:00:00.000Z'],
    ['not a date', 'next tuesday'],
  ])('refuses a DateTime Postgres cannot store or parse, %s, with BAD_USER_INPUT', async (_what, startsAt) => {
    const before = await snapshot(sql, ['class_sessions']);
    const result = await api.gql(
      `mutation($c: ID!, $at: DateTime!) { createClassSession(courseId: $c, title: "Far", startsAt: $at) { id } }`,
      { c: api.f.course('MATH101').id, at: startsAt },
      await token(TEACHER),
    );
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(/DateTime must be an ISO-8601 string/);
    expect(await snapshot(sql, ['class_sessions'])).toEqual(before);
  });

  it('trims surrounding whitespace from text', async () => {
    const { createPost } = await ok(POST, { c: api.f.course('MATH101').id, body: '  hello  ' }, await token(SAM));
    expect(createPost.body).toBe('hello');
  });

  it('refuses a duplicate course code and a duplicate email with BAD_USER_INPUT', async () => {
    const admin = await token(ADMIN);
    expect(
      (await refused(`mutation { createCourse(code: "math101", title: "Again") { id } }`, {}, admin, 'BAD_USER_INPUT'))
        .message,
    ).toBe('A course with that code already exists');
    expect(
      (
        await refused(
          `mutation { createUser(email: "Student@homeroom.test", name: "Again", role: STUDENT, password: "long-enough") { id } }`,
          {},
          admin,
          'BAD_USER_INPUT',
        )
      ).message,
    ).toBe('A user with that email already exists');
  });

  it('answers malformed GraphQL with 400 GRAPHQL_PARSE_FAILED', async () => {
    const result = await api.gql(`{ me { id `, {}, await token(SAM));
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(result.errors![0].message).toMatch(/^Syntax Error/);
  });

  it('answers an unknown field with 400 GRAPHQL_VALIDATION_FAILED', async () => {
    const result = await api.gql(`{ me { password } }`, {}, await token(SAM));
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
  });

  it('answers a body that is not JSON with 400', async () => {
    const response = await api.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(response.status).toBe(400);
  });

  it('masks internal errors: "Unexpected error." (INTERNAL_SERVER_ERROR), nothing of the cause, nothing written', async () => {
    // A real failure inside Postgres, not a mock: a trigger of this file's own database raises an
    // error the API does not know, carrying details that must never reach a client.
    await sql.unsafe(`
      create function tg_test__explode() returns trigger language plpgsql as $$
      begin
        if new.title = 'explode' then raise exception 'internal detail: secret=hunter2' using errcode = 'XX000'; end if;
        return new;
      end $$;
      create trigger test_explode before insert on class_sessions for each row execute function tg_test__explode();`);
    try {
      const before = await snapshot(sql, ['class_sessions', 'outbox']);
      const result = await api.gql(
        `mutation($c: ID!) { createClassSession(courseId: $c, title: "explode", startsAt: "2030-01-01T00:00:00Z") { id } }`,
        { c: api.f.course('MATH101').id },
        await token(TEACHER),
      );
      expect(result.data).toBeNull();
      expect(result.errors).toEqual([
        expect.objectContaining({
          message: 'Unexpected error.',
          path: ['createClassSession'],
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        }),
      ]);
      expect(JSON.stringify(result.errors)).not.toMatch(/hunter2|internal detail|class_sessions|insert/i);
      expect(await snapshot(sql, ['class_sessions', 'outbox'])).toEqual(before);
    } finally {
      await sql.unsafe(`drop trigger test_explode on class_sessions; drop function tg_test__explode();`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe('query limits', () => {
  it('refuses more aliases than QUERY_MAX_ALIASES (30) with BAD_USER_INPUT, and runs 30', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const allowed = await api.gql(aliases(30), {}, await token(SAM));
    expect(allowed.errors).toBeUndefined();
    expect(Object.keys(allowed.data)).toHaveLength(30);
    const result = await api.gql(aliases(31), {}, await token(SAM));
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(/alias/i);
    expect(result.data ?? null).toBeNull();
  });

  it('refuses a query nested deeper than QUERY_MAX_DEPTH (12) with BAD_USER_INPUT', async () => {
    // course → posts → edges → node → course → … : 3 rounds are depth 13.
    let selection = 'id';
    for (let i = 0; i < 3; i++) selection = `posts(first: 1) { edges { node { course { ${selection} } } } }`;
    const result = await api.gql(
      `query($id: ID!) { course(id: $id) { ${selection} } }`,
      { id: api.f.course('MATH101').id },
      await token(SAM),
    );
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(/depth/i);
    expect(result.data ?? null).toBeNull();
  });

  it('refuses an expensive query (cost over QUERY_MAX_COST) with BAD_USER_INPUT before running it', async () => {
    let selection = 'id';
    for (let i = 0; i < 2; i++)
      selection = `posts(first: 100) { edges { node { comments { author { id } } course { id ${selection} } } } }`;
    const result = await api.gql(`{ courses { ${selection} } }`, {}, await token(SAM));
    expect(codes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(/cost/i);
    expect(result.data ?? null).toBeNull();
  });

  it('refuses a huge document (token limit) with GRAPHQL_PARSE_FAILED', async () => {
    const result = await api.gql(
      `{ ${Array.from({ length: 3000 }, () => 'me { id }').join(' ')} }`,
      {},
      await token(SAM),
    );
    expect(result.status).toBe(400);
    expect(codes(result)).toEqual(['GRAPHQL_PARSE_FAILED']);
    expect(result.errors![0].message).toMatch(/token limit/i);
  });
});

// ---------------------------------------------------------------------------------------------
describe('HTTP endpoints', () => {
  it('/health answers 200', async () => {
    expect((await api.fetch('/health')).status).toBe(200);
  });

  it('/ready answers 200 once a started instance is serving (database reachable, live pipeline running)', async () => {
    // Readiness includes the live pipeline, which runs from start(): check a started instance.
    const instance = await startTestApp({ databaseUrl: api.databaseUrl });
    try {
      await vi.waitFor(async () => expect((await fetch(`${instance.baseUrl}/ready`)).status).toBe(200), {
        timeout: 10_000,
        interval: 50,
      });
      expect((await fetch(`${instance.baseUrl}/health`)).status).toBe(200);
    } finally {
      await instance.stop();
    }
  });

  it('serves GraphiQL on GET /graphql to a browser, without loading scripts from a CDN', async () => {
    const response = await api.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('<title>Homeroom API</title>');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/i);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:\/\/(unpkg|cdn|esm)/i);
  });

  // GET is a "simple" request browsers send cross-site without a preflight: it needs a CSRF header.
  const csrf = { 'graphql-require-preflight': '1' };

  it('answers GET /graphql?query=… with JSON for API clients that send the CSRF header', async () => {
    const response = await api.fetch(`/graphql?query=${encodeURIComponent('{ me { id } }')}`, {
      headers: { accept: 'application/json', ...csrf },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { me: null } });
  });

  it('refuses a GET query without a CSRF header (403) and a form-encoded POST', async () => {
    const get = await api.fetch(`/graphql?query=${encodeURIComponent('{ me { id } }')}`, {
      headers: { accept: 'application/json' },
    });
    expect(get.status).toBe(403);
    const form = await api.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: `query=${encodeURIComponent('mutation { markAllNotificationsRead }')}`,
    });
    expect(form.status).toBe(403);
  });

  it('refuses a mutation over GET', async () => {
    const response = await api.fetch(`/graphql?query=${encodeURIComponent('mutation { markAllNotificationsRead }')}`, {
      headers: { accept: 'application/json', ...csrf },
    });
    expect(response.status).toBe(405);
  });
});
