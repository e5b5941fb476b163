/**
 * Authorization matrix: every query and mutation of schema.graphql × every kind of caller, against
 * one course of the demo seed (HIST201, taught by instructor2@, with student@ and student01–10).
 *
 * Each row says, per caller, either `A` (allowed: the test then checks the real data and values)
 * or the exact `extensions.code` of the refusal. A refused mutation must leave every table
 * (outbox included) exactly as it was.
 *
 * Cases run in the order written: queries first, on the untouched seed; mutations after, each on
 * targets of its own so that one case's writes never decide another's outcome.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, codes, type GraphQLResult, snapshot, startApi, writableTables } from '../../test/api/api';
import type { CourseFixture } from '../../test/api/fixtures';

const PERSONAS = ['anonymous', 'studentIn', 'studentOut', 'instructor', 'otherInstructor', 'admin'] as const;
type Persona = (typeof PERSONAS)[number];

const WHO: Record<Persona, { label: string; email: string | null }> = {
  anonymous: { label: 'anonymous', email: null },
  studentIn: { label: 'student in the course', email: 'student@homeroom.test' },
  studentOut: { label: 'student not in it', email: 'student11@homeroom.test' },
  instructor: { label: 'instructor of the course', email: 'instructor2@homeroom.test' },
  otherInstructor: { label: 'instructor of another course', email: 'instructor@homeroom.test' },
  admin: { label: 'admin', email: 'admin@homeroom.test' },
};

const A = 'allowed';
const U = 'UNAUTHENTICATED';
const F = 'FORBIDDEN';
const N = 'NOT_FOUND';
type Outcome = typeof A | typeof U | typeof F | typeof N;
/** In PERSONAS order: anonymous, studentIn, studentOut, instructor, otherInstructor, admin. */
type Row = [Outcome, Outcome, Outcome, Outcome, Outcome, Outcome];

type Ctx = {
  api: ApiHarness;
  sql: postgres.Sql;
  persona: Persona;
  email: string | null;
  userId: string | null;
  token: string | null;
  course: CourseFixture;
};

type Case<P = any> = {
  operation: string;
  who: Row;
  document: string;
  /** Runs before the request (and before the "nothing changed" snapshot): e.g. creates a target. */
  prepare?: (ctx: Ctx) => Promise<P> | P;
  variables?: (ctx: Ctx, prepared: P) => Record<string, unknown>;
  /** Checks the data of an allowed call against the database. */
  allowed: (data: any, ctx: Ctx, prepared: P) => Promise<void> | void;
};
const op = <P>(c: Case<P>): Case => c;

const HIST = 'HIST201';
const PASSWORD = 'homeroom';

let api: ApiHarness;
let tables: string[];
let course: CourseFixture;
let instructor3: string;

beforeAll(async () => {
  api = await startApi();
  tables = await writableTables(api.sql);
  course = api.f.course(HIST);
  // Someone to assign as instructor who is none of the personas, so the matrix never changes roles.
  [{ id: instructor3 }] = await api.sql<{ id: string }[]>`
    insert into users (email, name, role, password_hash)
    values ('instructor3@homeroom.test', 'Ines Instructor', 'INSTRUCTOR', 'x') returning id`;
  // One unread notification each, so "own notifications only" has something to show.
  for (const persona of PERSONAS) {
    const email = WHO[persona].email;
    if (email)
      await api.sql`insert into notifications (user_id, kind, message) values (${api.f.user(email)}, 'ANNOUNCEMENT', ${`for ${email}`})`;
  }
});
afterAll(() => api?.stop());

it('the personas are what the matrix assumes', () => {
  const f = api.f;
  expect(course.studentIds).toContain(f.user(WHO.studentIn.email!));
  expect(course.studentIds).not.toContain(f.user(WHO.studentOut.email!));
  expect(course.instructorIds).toEqual([f.user(WHO.instructor.email!)]);
  expect(f.course('MATH101').instructorIds).toEqual([f.user(WHO.otherInstructor.email!)]);
  expect(course.studentIds).toHaveLength(11);
});

// ---------------------------------------------------------------------------------------------
// Oracles: what the database says the answer is, computed here without the server's code.

async function expectedStanding(sql: postgres.Sql, courseId: string, studentId: string) {
  const rows = await sql<{ score: number; max_score: number; weight: number }[]>`
    select g.score, a.max_score, a.weight from grades g join assessments a on a.id = g.assessment_id
    where g.course_id = ${courseId} and g.student_id = ${studentId}`;
  const [{ total }] = await sql<
    { total: number }[]
  >`select count(*)::int as total from assessments where course_id = ${courseId}`;
  const weights = rows.reduce((s, r) => s + r.weight, 0);
  const average =
    rows.length === 0
      ? null
      : weights > 0
        ? (rows.reduce((s, r) => s + (r.score / r.max_score) * r.weight, 0) / weights) * 100
        : (rows.reduce((s, r) => s + r.score / r.max_score, 0) / rows.length) * 100;
  return { graded: rows.length, total, average };
}

async function expectedAttendance(sql: postgres.Sql, courseId: string, studentId: string) {
  const [row] = await sql<
    { present: number; late: number; absent: number; excused: number; recorded: number; sessions: number }[]
  >`
    select count(*) filter (where status = 'PRESENT')::int as present, count(*) filter (where status = 'LATE')::int as late,
           count(*) filter (where status = 'ABSENT')::int as absent, count(*) filter (where status = 'EXCUSED')::int as excused,
           count(*)::int as recorded,
           (select count(*)::int from class_sessions where course_id = ${courseId} and starts_at <= now()) as sessions
    from attendance_records where course_id = ${courseId} and student_id = ${studentId}`;
  return row;
}

const unread = async (sql: postgres.Sql, userId: string) =>
  (
    await sql<
      { n: number }[]
    >`select count(*)::int as n from notifications where user_id = ${userId} and read_at is null`
  )[0].n;

// ---------------------------------------------------------------------------------------------
// Queries

const COURSE_CODES: Record<Persona, string[]> = {
  anonymous: [],
  studentIn: ['HIST201', 'MATH101'],
  studentOut: ['MATH101', 'PHYS110'],
  instructor: ['HIST201', 'PHYS110'],
  otherInstructor: ['MATH101'],
  admin: ['HIST201', 'MATH101', 'PHYS110'],
};

const queries: Case[] = [
  op({
    operation: 'me',
    //   anonymous studentIn studentOut instructor otherInstructor admin
    who: [A, A, A, A, A, A],
    document: `{ me { id email role } }`,
    allowed: async (data, { sql, email, userId }) => {
      if (!email) return expect(data.me).toBeNull();
      const [user] = await sql`select role from users where id = ${userId!}`;
      expect(data.me).toEqual({ id: userId, email, role: user.role });
    },
  }),
  op({
    operation: 'courses',
    who: [U, A, A, A, A, A],
    document: `{ courses { id code title } }`,
    allowed: (data, { persona }) =>
      expect(data.courses.map((c: { code: string }) => c.code)).toEqual(COURSE_CODES[persona]),
  }),
  op({
    operation: 'course',
    who: [U, A, F, A, F, A],
    document: `query($id: ID!) { course(id: $id) { id code title studentCount viewerCanManage instructors { email } } }`,
    variables: ({ course }) => ({ id: course.id }),
    allowed: (data, { persona, course }) =>
      expect(data.course).toEqual({
        id: course.id,
        code: 'HIST201',
        title: 'Modern History',
        studentCount: 11,
        viewerCanManage: persona !== 'studentIn',
        instructors: [{ email: 'instructor2@homeroom.test' }],
      }),
  }),
  op({
    operation: 'users',
    who: [U, F, F, F, F, A],
    document: `{ users { id email role } }`,
    allowed: async (data, { sql }) => {
      const all = await sql<{ id: string; email: string; role: string }[]>`select id, email, role from users`;
      expect(data.users).toHaveLength(all.length);
      expect(new Set(data.users.map((u: { email: string }) => u.email))).toEqual(new Set(all.map((u) => u.email)));
    },
  }),
  op({
    operation: 'mySessions',
    who: [U, A, A, A, A, A],
    document: `{ mySessions { id current } }`,
    allowed: async (data, { sql, userId }) => {
      const own = await sql<{ id: string }[]>`select id from sessions where user_id = ${userId!} and ended_at is null`;
      expect(new Set(data.mySessions.map((s: { id: string }) => s.id))).toEqual(new Set(own.map((r) => r.id)));
      expect(data.mySessions.filter((s: { current: boolean }) => s.current)).toHaveLength(1);
    },
  }),
  op({
    operation: 'gradeHistory (a classmate’s cell)',
    who: [U, F, F, A, F, A],
    document: `query($a: ID!, $s: ID!) { gradeHistory(assessmentId: $a, studentId: $s) { action newScore } }`,
    prepare: ({ sql, course }) => bystander(sql, course, 2),
    variables: ({ course }, studentId) => ({ a: course.assessments.Midterm.id, s: studentId }),
    allowed: async (data, { sql, course }, studentId) => {
      const rows =
        await sql`select 1 from grade_history where assessment_id = ${course.assessments.Midterm.id} and student_id = ${studentId}`;
      expect(data.gradeHistory).toHaveLength(rows.length);
    },
  }),
  op({
    operation: 'auditLog',
    who: [U, F, F, F, F, A],
    document: `{ auditLog(first: 5) { edges { node { id action } } pageInfo { hasNextPage } } }`,
    allowed: (data) => expect(Array.isArray(data.auditLog.edges)).toBe(true),
  }),
  op({
    operation: 'notifications',
    who: [U, A, A, A, A, A],
    document: `{ notifications(first: 100) { unreadCount edges { node { id message read } } } }`,
    allowed: async (data, { sql, email, userId }) => {
      const own = await sql<{ id: string }[]>`select id from notifications where user_id = ${userId!}`;
      const ids = data.notifications.edges.map((e: { node: { id: string } }) => e.node.id);
      expect(new Set(ids)).toEqual(new Set(own.map((r) => r.id)));
      expect(data.notifications.edges.map((e: { node: { message: string } }) => e.node.message)).toContain(
        `for ${email}`,
      );
      expect(data.notifications.unreadCount).toBe(await unread(sql, userId!));
    },
  }),
  op({
    operation: 'course.students',
    who: [U, F, F, A, F, A],
    document: `query($id: ID!) { course(id: $id) { id students { id email } } }`,
    variables: ({ course }) => ({ id: course.id }),
    allowed: async (data, { sql, course }) => {
      const expected = await sql<{ id: string }[]>`
        select u.id from enrolments e join users u on u.id = e.student_id where e.course_id = ${course.id} order by u.name`;
      expect(data.course.students.map((s: { id: string }) => s.id)).toEqual(expected.map((r) => r.id));
    },
  }),
  op({
    operation: 'course.stats',
    who: [U, F, F, A, F, A],
    document: `query($id: ID!) { course(id: $id) { id stats { id classAverage assessments { graded } attendanceRate } } }`,
    variables: ({ course }) => ({ id: course.id }),
    allowed: async (data, { sql, course }) => {
      const [{ n }] = await sql<{ n: number }[]>`select count(*)::int as n from grades where course_id = ${course.id}`;
      expect(data.course.stats.id).toBe(course.id);
      expect(data.course.stats.assessments.reduce((sum: number, a: { graded: number }) => sum + a.graded, 0)).toBe(n);
    },
  }),
  op({
    operation: 'course.standings',
    who: [U, A, F, A, F, A],
    document: `query($id: ID!) { course(id: $id) { standings { student { id } average graded total } } }`,
    variables: ({ course }) => ({ id: course.id }),
    allowed: async (data, { sql, persona, userId, course }) => {
      const standings = data.course.standings as {
        student: { id: string };
        average: number | null;
        graded: number;
        total: number;
      }[];
      // A student sees exactly their own standing; staff see every enrolled student's.
      const expectedStudents = persona === 'studentIn' ? [userId!] : course.studentIds;
      expect(new Set(standings.map((s) => s.student.id))).toEqual(new Set(expectedStudents));
      expect(standings).toHaveLength(expectedStudents.length);
      for (const s of standings) {
        const expected = await expectedStanding(sql, course.id, s.student.id);
        expect({ graded: s.graded, total: s.total }).toEqual({ graded: expected.graded, total: expected.total });
        expect(s.average).toBeCloseTo(expected.average!, 2);
      }
    },
  }),
  op({
    operation: 'course.attendanceTotals',
    who: [U, A, F, A, F, A],
    document: `query($id: ID!) { course(id: $id) { attendanceTotals { student { id } present late absent excused recorded sessions } } }`,
    variables: ({ course }) => ({ id: course.id }),
    allowed: async (data, { sql, persona, userId, course }) => {
      const totals = data.course.attendanceTotals as ({ student: { id: string } } & Record<string, number>)[];
      const expectedStudents = persona === 'studentIn' ? [userId!] : course.studentIds;
      expect(new Set(totals.map((t) => t.student.id))).toEqual(new Set(expectedStudents));
      expect(totals).toHaveLength(expectedStudents.length);
      for (const { student, ...counts } of totals)
        expect(counts).toEqual(await expectedAttendance(sql, course.id, student.id));
    },
  }),
  op({
    operation: 'course.assessments.grades',
    who: [U, A, F, A, F, A],
    document: `query($id: ID!) { course(id: $id) { assessments { id grades { score student { id } } } } }`,
    variables: ({ course }) => ({ id: course.id }),
    allowed: async (data, { sql, persona, userId, course }) => {
      const rows = await sql<{ assessment_id: string; student_id: string; score: number }[]>`
        select assessment_id, student_id, score from grades where course_id = ${course.id}
        ${persona === 'studentIn' ? sql`and student_id = ${userId!}` : sql``}`;
      const seen = (
        data.course.assessments as { id: string; grades: { score: number; student: { id: string } }[] }[]
      ).flatMap((a) => a.grades.map((g) => `${a.id}/${g.student.id}=${g.score}`));
      expect(seen.sort()).toEqual(rows.map((r) => `${r.assessment_id}/${r.student_id}=${r.score}`).sort());
      if (persona === 'studentIn')
        expect(seen).toHaveLength(2); // Quiz 1 and Homework 1 of the seed
      else expect(seen.length).toBe(2 * course.studentIds.length);
    },
  }),
  op({
    operation: 'course.sessions.records',
    who: [U, A, F, A, F, A],
    document: `query($id: ID!) { course(id: $id) { sessions { id records { status student { id } } } } }`,
    variables: ({ course }) => ({ id: course.id }),
    allowed: async (data, { sql, persona, userId, course }) => {
      const rows = await sql<{ session_id: string; student_id: string; status: string }[]>`
        select session_id, student_id, status from attendance_records where course_id = ${course.id}
        ${persona === 'studentIn' ? sql`and student_id = ${userId!}` : sql``}`;
      const seen = (
        data.course.sessions as { id: string; records: { status: string; student: { id: string } }[] }[]
      ).flatMap((s) => s.records.map((r) => `${s.id}/${r.student.id}=${r.status}`));
      expect(seen.sort()).toEqual(rows.map((r) => `${r.session_id}/${r.student_id}=${r.status}`).sort());
      expect(seen.length).toBe(persona === 'studentIn' ? 2 : 2 * course.studentIds.length);
    },
  }),
  op({
    operation: 'course.polls.myVote',
    who: [U, A, F, A, F, A],
    document: `query($id: ID!) { course(id: $id) { polls { id myVote totalVotes options { id votes } } } }`,
    variables: ({ course }) => ({ id: course.id }),
    allowed: async (data, { sql, userId, course }) => {
      const [poll] = data.course.polls;
      expect(poll.id).toBe(course.poll.id);
      const [mine] = await sql<
        { option_id: string }[]
      >`select option_id from ballots where poll_id = ${poll.id} and voter_id = ${userId!}`;
      expect(poll.myVote).toBe(mine?.option_id ?? null);
      const tally = await sql<{ id: string; votes: number }[]>`
        select o.id, count(b.id)::int as votes from poll_options o left join ballots b on b.option_id = o.id
        where o.poll_id = ${poll.id} group by o.id, o.position order by o.position`;
      expect(poll.options).toEqual(tally);
      expect(poll.totalVotes).toBe(tally.reduce((s, o) => s + o.votes, 0));
      expect(poll.totalVotes).toBeGreaterThan(0);
    },
  }),
  // A student can vote; make sure one who did sees their own choice (and only theirs).
  op({
    operation: 'course.polls.myVote (a student who voted)',
    who: [U, A, F, A, F, A],
    document: `query($id: ID!) { course(id: $id) { polls { id myVote } } }`,
    prepare: async ({ sql, persona, userId, course }) => {
      if (persona !== 'studentIn') return;
      await sql`insert into ballots (poll_id, course_id, option_id, voter_id)
                values (${course.poll.id}, ${course.id}, ${course.poll.options['Friday morning']}, ${userId!})`;
    },
    variables: ({ course }) => ({ id: course.id }),
    allowed: (data, { persona, course }) =>
      expect(data.course.polls[0].myVote).toBe(persona === 'studentIn' ? course.poll.options['Friday morning'] : null),
  }),
  op({
    operation: 'liveCursor',
    who: [U, A, A, A, A, A],
    document: `{ liveCursor }`,
    allowed: (data) => expect(data.liveCursor).toEqual(expect.any(String)),
  }),
  op({
    // The polling fallback: the same events as the subscriptions, under the same rules.
    operation: 'updates (grade events of the course)',
    who: [U, A, F, A, F, A],
    document: `query($after: String!, $c: ID) { updates(after: $after, courseId: $c) {
      events { __typename ... on GradeEvent { action grade { score student { id } assessment { id } } standing { student { id } } } } } }`,
    prepare: async ({ api, sql, course, token, persona }) => {
      const { data } = await api.gql(`{ liveCursor }`, {}, token ?? (await api.tokenFor('admin@homeroom.test')));
      // Two grades recorded after that cursor: the student's own and a classmate's.
      const score = (PERSONAS.indexOf(persona) + 1) / 2; // distinct per caller, within max 5
      const classmate = await bystander(sql, course, 0);
      for (const studentId of [api.f.user('student@homeroom.test'), classmate]) {
        await sql`insert into grades (assessment_id, course_id, student_id, score) values (${course.assessments.Participation.id}, ${course.id}, ${studentId}, ${score})
                  on conflict (assessment_id, student_id) do update set score = excluded.score`;
      }
      // `updates` reads what the relay has ordered; order now rather than race it (failed once in
      // the full suite: the page came back before the relay's wake-up).
      await sql`select outbox_order()`;
      return { after: data.liveCursor as string, classmate, score };
    },
    variables: ({ course }, { after }) => ({ after, c: course.id }),
    allowed: (data, { persona, userId, api }, { classmate, score }) => {
      type Event = {
        __typename: string;
        grade: { score: number; student: { id: string } } | null;
        standing: { student: { id: string } } | null;
      };
      const grades = (data.updates.events as Event[]).filter(
        (e) => e.__typename === 'GradeEvent' && e.grade?.score === score,
      );
      const students = new Set(grades.map((e) => e.grade!.student.id));
      const sam = api.f.user('student@homeroom.test');
      // A student receives only their own rows; staff receive everyone's.
      expect(students).toEqual(persona === 'studentIn' ? new Set([userId]) : new Set([sam, classmate]));
      for (const e of grades) if (e.standing) expect(e.standing.student.id).toBe(e.grade!.student.id);
    },
  }),
];

// ---------------------------------------------------------------------------------------------
// Mutations

const gradeOf = async (sql: postgres.Sql, assessmentId: string, studentId: string) =>
  (
    await sql<{ id: string; score: number; updated_by_id: string | null }[]>`
    select id, score, updated_by_id from grades where assessment_id = ${assessmentId} and student_id = ${studentId}`
  )[0];

/** The n-th enrolled student of the course other than the personas (stable order by email). */
async function bystander(sql: postgres.Sql, course: CourseFixture, n: number): Promise<string> {
  const rows = await sql<{ id: string }[]>`
    select u.id from enrolments e join users u on u.id = e.student_id
    where e.course_id = ${course.id} and u.email <> 'student@homeroom.test' order by u.email`;
  return rows[n].id;
}

/** A user of its own (with one active session) for a case that changes an account. */
async function someone(sql: postgres.Sql, name: string): Promise<{ id: string; sessionId: string }> {
  const [user] = await sql<{ id: string }[]>`
    insert into users (email, name, role, password_hash) values (${`${name}@matrix.test`}, ${name}, 'STUDENT', 'x') returning id`;
  const [session] = await sql<{ id: string }[]>`insert into sessions (user_id) values (${user.id}) returning id`;
  return { id: user.id, sessionId: session.id };
}

const mutations: Case[] = [
  op({
    operation: 'login',
    who: [A, A, A, A, A, A],
    document: `mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token expiresAt user { id email } } }`,
    variables: ({ email }) => ({ email: email ?? 'student@homeroom.test', password: PASSWORD }),
    allowed: async (data, { api, email }) => {
      const expectedEmail = email ?? 'student@homeroom.test';
      expect(data.login.user).toEqual({ id: api.f.user(expectedEmail), email: expectedEmail });
      expect(new Date(data.login.expiresAt).getTime()).toBeGreaterThan(Date.now());
      const check = await api.app.tokens.verify(data.login.token);
      expect(check.ok && check.claims.userId).toBe(api.f.user(expectedEmail));
    },
  }),
  op({
    operation: 'renewToken',
    who: [U, A, A, A, A, A],
    document: `mutation { renewToken { token user { id } } }`,
    allowed: async (data, { api, userId }) => {
      expect(data.renewToken.user.id).toBe(userId);
      const check = await api.app.tokens.verify(data.renewToken.token);
      expect(check.ok && check.claims.userId).toBe(userId);
    },
  }),
  op({
    operation: 'recordGrade',
    who: [U, F, F, A, F, A],
    document: `mutation($a: ID!, $s: ID!, $score: Float!) {
      recordGrade(assessmentId: $a, studentId: $s, score: $score, note: "matrix") { id score note student { id } assessment { id } updatedBy { id } } }`,
    prepare: ({ sql, course }) => bystander(sql, course, 0),
    variables: ({ course, persona }, studentId) => ({
      a: course.assessments.Midterm.id,
      s: studentId,
      score: persona === 'admin' ? 91 : 77,
    }),
    allowed: async (data, { sql, course, persona, userId }, studentId) => {
      const score = persona === 'admin' ? 91 : 77;
      const row = await gradeOf(sql, course.assessments.Midterm.id, studentId);
      expect(data.recordGrade).toEqual({
        id: row.id,
        score,
        note: 'matrix',
        student: { id: studentId },
        assessment: { id: course.assessments.Midterm.id },
        updatedBy: { id: userId },
      });
      expect(row).toMatchObject({ score, updated_by_id: userId });
    },
  }),
  op({
    operation: 'deleteGrade',
    who: [U, F, F, A, F, A],
    document: `mutation($id: ID!) { deleteGrade(id: $id) { id score student { id } } }`,
    // Each caller aims at a different student's quiz grade, so an allowed delete leaves the next target.
    prepare: async ({ sql, course, persona }) => {
      const studentId = await bystander(sql, course, 1 + PERSONAS.indexOf(persona));
      return gradeOf(sql, course.assessments['Quiz 1'].id, studentId);
    },
    variables: (_ctx, grade) => ({ id: grade.id }),
    allowed: async (data, { sql }, grade) => {
      expect(data.deleteGrade).toMatchObject({ id: grade.id, score: grade.score });
      expect(await sql`select 1 from grades where id = ${grade.id}`).toHaveLength(0);
    },
  }),
  op({
    operation: 'recordAttendance',
    who: [U, F, F, A, F, A],
    document: `mutation($session: ID!, $s: ID!) { recordAttendance(sessionId: $session, studentId: $s, status: LATE) { id status checkedInAt student { id } session { id } } }`,
    prepare: ({ sql, course, persona }) => bystander(sql, course, PERSONAS.indexOf(persona)),
    variables: ({ course }, studentId) => ({ session: course.sessions['Lesson 3'], s: studentId }),
    allowed: async (data, { sql, course }, studentId) => {
      const [row] =
        await sql`select id, status, checked_in_at from attendance_records where session_id = ${course.sessions['Lesson 3']} and student_id = ${studentId}`;
      expect(data.recordAttendance).toMatchObject({
        id: row.id,
        status: 'LATE',
        student: { id: studentId },
        session: { id: course.sessions['Lesson 3'] },
      });
      expect(row.status).toBe('LATE');
      expect(row.checked_in_at).not.toBeNull();
    },
  }),
  op({
    operation: 'markAllPresent',
    who: [U, F, F, A, F, A],
    document: `mutation($session: ID!) { markAllPresent(sessionId: $session) { id records { status student { id } } } }`,
    variables: ({ course }) => ({ session: course.sessions['Lesson 4'] }),
    allowed: async (data, { sql, course }) => {
      const rows =
        await sql`select student_id, status from attendance_records where session_id = ${course.sessions['Lesson 4']}`;
      expect(rows.map((r) => r.student_id).sort()).toEqual([...course.studentIds].sort());
      expect(rows.every((r) => r.status === 'PRESENT')).toBe(true);
      expect(data.markAllPresent.records).toHaveLength(course.studentIds.length);
    },
  }),
  op({
    operation: 'openPoll',
    who: [U, F, F, A, F, A],
    document: `mutation($c: ID!, $q: String!) { openPoll(courseId: $c, question: $q, options: ["Yes", "No", "Maybe"]) { id question status totalVotes options { label votes } course { id } } }`,
    variables: ({ course, persona }) => ({ c: course.id, q: `Poll by ${persona}?` }),
    allowed: async (data, { sql, course, persona }) => {
      expect(data.openPoll).toMatchObject({
        question: `Poll by ${persona}?`,
        status: 'OPEN',
        totalVotes: 0,
        options: [
          { label: 'Yes', votes: 0 },
          { label: 'No', votes: 0 },
          { label: 'Maybe', votes: 0 },
        ],
        course: { id: course.id },
      });
      const options = await sql`select label from poll_options where poll_id = ${data.openPoll.id} order by position`;
      expect(options.map((o) => o.label)).toEqual(['Yes', 'No', 'Maybe']);
    },
  }),
  op({
    operation: 'castVote',
    //   anonymous studentIn studentOut instructor otherInstructor admin   (only students of the course vote)
    who: [U, A, F, F, F, F],
    document: `mutation($p: ID!, $o: ID!) { castVote(pollId: $p, optionId: $o) { id myVote totalVotes options { id votes } } }`,
    variables: ({ course }) => ({ p: course.poll.id, o: course.poll.options['Wednesday lunch'] }),
    allowed: async (data, { sql, course, userId }) => {
      const option = course.poll.options['Wednesday lunch'];
      expect(data.castVote.myVote).toBe(option);
      const ballots =
        await sql`select option_id from ballots where poll_id = ${course.poll.id} and voter_id = ${userId!}`;
      expect(ballots).toEqual([{ option_id: option }]);
      const [{ votes }] = await sql`select count(*)::int as votes from ballots where option_id = ${option}`;
      expect(data.castVote.options.find((o: { id: string }) => o.id === option).votes).toBe(votes);
    },
  }),
  op({
    operation: 'closePoll',
    who: [U, F, F, A, F, A],
    document: `mutation($id: ID!) { closePoll(id: $id) { id status } }`,
    prepare: async ({ sql, course, api }) => {
      const [poll] = await sql<{ id: string }[]>`
        insert into polls (course_id, question, created_by_id) values (${course.id}, 'To close?', ${api.f.user('instructor2@homeroom.test')}) returning id`;
      await sql`insert into poll_options (poll_id, label, position) values (${poll.id}, 'a', 0), (${poll.id}, 'b', 1)`;
      return poll.id;
    },
    variables: (_ctx, pollId) => ({ id: pollId }),
    allowed: async (data, { sql }, pollId) => {
      expect(data.closePoll).toEqual({ id: pollId, status: 'CLOSED' });
      expect((await sql`select status from polls where id = ${pollId}`)[0].status).toBe('CLOSED');
    },
  }),
  op({
    operation: 'createPost',
    who: [U, A, F, A, F, A],
    document: `mutation($c: ID!, $body: String!) { createPost(courseId: $c, body: $body) { id body announcement author { id } course { id } } }`,
    variables: ({ course, persona }) => ({ c: course.id, body: `Post by ${persona}` }),
    allowed: async (data, { sql, course, persona, userId }) => {
      expect(data.createPost).toMatchObject({
        body: `Post by ${persona}`,
        announcement: false,
        author: { id: userId },
        course: { id: course.id },
      });
      const [row] = await sql`select body, announcement, author_id from posts where id = ${data.createPost.id}`;
      expect(row).toEqual({ body: `Post by ${persona}`, announcement: false, author_id: userId });
    },
  }),
  op({
    operation: 'createPost (announcement)',
    who: [U, F, F, A, F, A],
    document: `mutation($c: ID!, $body: String!) { createPost(courseId: $c, body: $body, announcement: true) { id body announcement author { id } } }`,
    variables: ({ course, persona }) => ({ c: course.id, body: `Announcement by ${persona}` }),
    allowed: async (data, { sql, persona, userId }) => {
      expect(data.createPost).toMatchObject({
        body: `Announcement by ${persona}`,
        announcement: true,
        author: { id: userId },
      });
      const [row] = await sql`select announcement from posts where id = ${data.createPost.id}`;
      expect(row.announcement).toBe(true);
    },
  }),
  op({
    operation: 'createComment',
    who: [U, A, F, A, F, A],
    document: `mutation($p: ID!, $body: String!) { createComment(postId: $p, body: $body) { id body author { id } post { id } } }`,
    variables: ({ course, persona }) => ({ p: course.posts.welcome, body: `Comment by ${persona}` }),
    allowed: async (data, { sql, course, persona, userId }) => {
      expect(data.createComment).toMatchObject({
        body: `Comment by ${persona}`,
        author: { id: userId },
        post: { id: course.posts.welcome },
      });
      const [row] = await sql`select post_id, author_id, body from comments where id = ${data.createComment.id}`;
      expect(row).toEqual({ post_id: course.posts.welcome, author_id: userId, body: `Comment by ${persona}` });
    },
  }),
  op({
    // The target is the student's notification: for anyone else it does not exist (ids are not to be probed).
    operation: "markNotificationRead (the student's notification)",
    who: [U, A, N, N, N, N],
    document: `mutation($id: ID!) { markNotificationRead(id: $id) { id read message } }`,
    prepare: async ({ sql, api }) =>
      (
        await sql<
          { id: string }[]
        >`select id from notifications where user_id = ${api.f.user('student@homeroom.test')} and message = 'for student@homeroom.test'`
      )[0].id,
    variables: (_ctx, id) => ({ id }),
    allowed: async (data, { sql }, id) => {
      expect(data.markNotificationRead).toEqual({ id, read: true, message: 'for student@homeroom.test' });
      expect((await sql`select read_at from notifications where id = ${id}`)[0].read_at).not.toBeNull();
    },
  }),
  op({
    operation: 'markNotificationRead (own notification)',
    who: [U, A, A, A, A, A],
    document: `mutation($id: ID!) { markNotificationRead(id: $id, read: false) { id read } }`,
    prepare: async ({ sql, userId, email }) =>
      userId
        ? (
            await sql<
              { id: string }[]
            >`select id from notifications where user_id = ${userId} and message = ${`for ${email}`}`
          )[0].id
        : '00000000-0000-4000-8000-000000000000',
    variables: (_ctx, id) => ({ id }),
    allowed: async (data, { sql }, id) => {
      expect(data.markNotificationRead).toEqual({ id, read: false });
      expect((await sql`select read_at from notifications where id = ${id}`)[0].read_at).toBeNull();
    },
  }),
  op({
    operation: 'markAllNotificationsRead',
    who: [U, A, A, A, A, A],
    document: `mutation { markAllNotificationsRead }`,
    prepare: async ({ sql, userId }) => {
      const others = await sql<{ user_id: string; n: number }[]>`
        select user_id, count(*)::int as n from notifications where read_at is null and user_id <> ${userId ?? '00000000-0000-4000-8000-000000000000'} group by user_id order by user_id`;
      return { own: userId ? await unread(sql, userId) : 0, others };
    },
    allowed: async (data, { sql, userId }, before) => {
      expect(before.own).toBeGreaterThan(0);
      expect(data.markAllNotificationsRead).toBe(before.own);
      expect(await unread(sql, userId!)).toBe(0);
      const others =
        await sql`select user_id, count(*)::int as n from notifications where read_at is null and user_id <> ${userId!} group by user_id order by user_id`;
      expect(others).toEqual(before.others); // nobody else's notifications changed
    },
  }),
  op({
    operation: 'createAssessment',
    who: [U, F, F, A, F, A],
    document: `mutation($c: ID!, $t: String!) { createAssessment(courseId: $c, title: $t, kind: QUIZ, maxScore: 25, weight: 2) { id title kind maxScore weight course { id } } }`,
    variables: ({ course, persona }) => ({ c: course.id, t: `Quiz by ${persona}` }),
    allowed: async (data, { sql, course, persona }) => {
      expect(data.createAssessment).toMatchObject({
        title: `Quiz by ${persona}`,
        kind: 'QUIZ',
        maxScore: 25,
        weight: 2,
        course: { id: course.id },
      });
      const [row] =
        await sql`select course_id, title, max_score, weight from assessments where id = ${data.createAssessment.id}`;
      expect(row).toEqual({ course_id: course.id, title: `Quiz by ${persona}`, max_score: 25, weight: 2 });
    },
  }),
  op({
    operation: 'createClassSession',
    who: [U, F, F, A, F, A],
    document: `mutation($c: ID!, $t: String!) { createClassSession(courseId: $c, title: $t, startsAt: "2031-09-01T08:00:00.000Z") { id title startsAt course { id } } }`,
    variables: ({ course, persona }) => ({ c: course.id, t: `Lesson by ${persona}` }),
    allowed: async (data, { sql, course, persona }) => {
      expect(data.createClassSession).toMatchObject({
        title: `Lesson by ${persona}`,
        startsAt: '2031-09-01T08:00:00.000Z',
        course: { id: course.id },
      });
      const [row] = await sql`select course_id, starts_at from class_sessions where id = ${data.createClassSession.id}`;
      expect(row.course_id).toBe(course.id);
      expect(row.starts_at.toISOString()).toBe('2031-09-01T08:00:00.000Z');
    },
  }),
  // signOut, signOutEverywhere and changePassword act only on the caller's own sessions (so they
  // cannot be refused by role, only without a token): server/auth/sessions.test.ts covers them.
  op({
    operation: 'revokeSession (another user’s)',
    who: [U, N, N, N, N, A],
    document: `mutation($id: ID!) { revokeSession(id: $id) { id active } }`,
    prepare: async ({ sql, persona }) => (await someone(sql, `revoke-${persona}`)).sessionId,
    variables: (_ctx, sessionId) => ({ id: sessionId }),
    allowed: async (data, { sql }, sessionId) => {
      expect(data.revokeSession).toEqual({ id: sessionId, active: false });
      const [row] = await sql`select ended_reason from sessions where id = ${sessionId}`;
      expect(row.ended_reason).toBe('revoked');
    },
  }),
  op({
    operation: 'updateUser',
    who: [U, F, F, F, F, A],
    document: `mutation($id: ID!) { updateUser(id: $id, name: "Renamed", role: INSTRUCTOR) { id name role } }`,
    prepare: async ({ sql, persona }) => (await someone(sql, `update-${persona}`)).id,
    variables: (_ctx, id) => ({ id }),
    allowed: async (data, { sql }, id) => {
      expect(data.updateUser).toEqual({ id, name: 'Renamed', role: 'INSTRUCTOR' });
      const [row] = await sql`select role from users where id = ${id}`;
      expect(row.role).toBe('INSTRUCTOR');
    },
  }),
  op({
    operation: 'deactivateUser',
    who: [U, F, F, F, F, A],
    document: `mutation($id: ID!) { deactivateUser(id: $id) { id active } }`,
    prepare: async ({ sql, persona }) => await someone(sql, `deactivate-${persona}`),
    variables: (_ctx, target) => ({ id: target.id }),
    allowed: async (data, { sql }, target) => {
      expect(data.deactivateUser).toEqual({ id: target.id, active: false });
      const [row] = await sql`select ended_reason from sessions where id = ${target.sessionId}`;
      expect(row.ended_reason).toBe('deactivated');
    },
  }),
  op({
    operation: 'reactivateUser',
    who: [U, F, F, F, F, A],
    document: `mutation($id: ID!) { reactivateUser(id: $id) { id active } }`,
    prepare: async ({ sql, persona }) => {
      const target = await someone(sql, `reactivate-${persona}`);
      await sql`update users set deactivated_at = now() where id = ${target.id}`;
      return target.id;
    },
    variables: (_ctx, id) => ({ id }),
    allowed: (data, _ctx, id) => expect(data.reactivateUser).toEqual({ id, active: true }),
  }),
  op({
    operation: 'resetPassword',
    who: [U, F, F, F, F, A],
    document: `mutation($id: ID!) { resetPassword(id: $id) { user { id } temporaryPassword } }`,
    prepare: async ({ sql, persona }) => await someone(sql, `reset-${persona}`),
    variables: (_ctx, target) => ({ id: target.id }),
    allowed: async (data, { sql }, target) => {
      expect(data.resetPassword.user.id).toBe(target.id);
      expect(data.resetPassword.temporaryPassword).toHaveLength(20);
      const [row] = await sql`select ended_reason from sessions where id = ${target.sessionId}`;
      expect(row.ended_reason).toBe('password-reset');
    },
  }),
  op({
    operation: 'createUser',
    who: [U, F, F, F, F, A],
    document: `mutation($e: String!) { createUser(email: $e, name: "New Person", role: STUDENT, password: "a-long-password") { id email name role } }`,
    variables: ({ persona }) => ({ e: `made-by-${persona}@homeroom.test` }),
    allowed: async (data, { sql, persona }) => {
      const email = `made-by-${persona}@homeroom.test`;
      expect(data.createUser).toMatchObject({ email, name: 'New Person', role: 'STUDENT' });
      const [row] = await sql`select id, role, password_hash from users where email = ${email}`;
      expect(row.id).toBe(data.createUser.id);
      expect(row.password_hash).not.toContain('a-long-password');
    },
  }),
  op({
    operation: 'createCourse',
    who: [U, F, F, F, F, A],
    document: `mutation($code: String!) { createCourse(code: $code, title: "New Course") { id code title } }`,
    variables: ({ persona }) => ({ code: `az-${persona}` }),
    allowed: async (data, { sql, persona }) => {
      expect(data.createCourse).toMatchObject({ code: `AZ-${persona.toUpperCase()}`, title: 'New Course' });
      expect(await sql`select 1 from courses where id = ${data.createCourse.id}`).toHaveLength(1);
    },
  }),
  op({
    operation: 'enrolStudent',
    who: [U, F, F, F, F, A],
    document: `mutation($c: ID!, $s: ID!) { enrolStudent(courseId: $c, studentId: $s) { id studentCount } }`,
    variables: ({ course, api }) => ({ c: course.id, s: api.f.user('student12@homeroom.test') }),
    allowed: async (data, { sql, course, api }) => {
      const rows =
        await sql`select 1 from enrolments where course_id = ${course.id} and student_id = ${api.f.user('student12@homeroom.test')}`;
      expect(rows).toHaveLength(1);
      expect(data.enrolStudent.id).toBe(course.id);
      expect(data.enrolStudent.studentCount).toBe(12);
    },
  }),
  op({
    operation: 'unenrolStudent',
    who: [U, F, F, F, F, A],
    document: `mutation($c: ID!, $s: ID!) { unenrolStudent(courseId: $c, studentId: $s) { id studentCount } }`,
    variables: ({ course, api }) => ({ c: course.id, s: api.f.user('student10@homeroom.test') }),
    allowed: async (data, { sql, course, api }) => {
      const rows =
        await sql`select 1 from enrolments where course_id = ${course.id} and student_id = ${api.f.user('student10@homeroom.test')}`;
      expect(rows).toHaveLength(0);
      expect(data.unenrolStudent).toEqual({ id: course.id, studentCount: 11 });
    },
  }),
  op({
    operation: 'assignInstructor',
    who: [U, F, F, F, F, A],
    document: `mutation($c: ID!, $i: ID!) { assignInstructor(courseId: $c, instructorId: $i) { id instructors { id } } }`,
    variables: ({ course }) => ({ c: course.id, i: instructor3 }),
    allowed: async (data, { sql, course }) => {
      expect(data.assignInstructor.instructors.map((i: { id: string }) => i.id)).toContain(instructor3);
      expect(
        await sql`select 1 from teaching_assignments where course_id = ${course.id} and instructor_id = ${instructor3}`,
      ).toHaveLength(1);
    },
  }),
  // Course structure (issue 11): each case works on a target of its own.
  op({
    operation: 'updateAssessment',
    who: [U, F, F, A, F, A],
    document: `mutation($id: ID!) { updateAssessment(id: $id, weight: 7, maxScore: 40, title: "Renamed") { id weight maxScore title } }`,
    prepare: ({ sql, course }) => newAssessment(sql, course.id),
    variables: (_ctx, id: string) => ({ id }),
    allowed: async (data, { sql }, id: string) => {
      expect(data.updateAssessment).toEqual({ id, weight: 7, maxScore: 40, title: 'Renamed' });
      const [row] = await sql`select weight, max_score from assessments where id = ${id}`;
      expect(row).toEqual({ weight: 7, max_score: 40 });
    },
  }),
  op({
    operation: 'deleteAssessment',
    who: [U, F, F, A, F, A],
    document: `mutation($id: ID!) { deleteAssessment(id: $id) { id } }`,
    prepare: ({ sql, course }) => newAssessment(sql, course.id),
    variables: (_ctx, id: string) => ({ id }),
    allowed: async (data, { sql }, id: string) => {
      expect(data.deleteAssessment.id).toBe(id);
      expect(await sql`select 1 from assessments where id = ${id}`).toHaveLength(0);
    },
  }),
  op({
    operation: 'updateClassSession',
    who: [U, F, F, A, F, A],
    document: `mutation($id: ID!) { updateClassSession(id: $id, startsAt: "2032-02-02T10:00:00.000Z") { id startsAt } }`,
    prepare: ({ sql, course }) => newSession(sql, course.id),
    variables: (_ctx, id: string) => ({ id }),
    allowed: async (data, { sql }, id: string) => {
      expect(data.updateClassSession).toEqual({ id, startsAt: '2032-02-02T10:00:00.000Z' });
      const [row] = await sql`select starts_at from class_sessions where id = ${id}`;
      expect(row.starts_at.toISOString()).toBe('2032-02-02T10:00:00.000Z');
    },
  }),
  op({
    operation: 'cancelClassSession',
    who: [U, F, F, A, F, A],
    document: `mutation($id: ID!) { cancelClassSession(id: $id) { id cancelledAt } }`,
    prepare: ({ sql, course }) => newSession(sql, course.id),
    variables: (_ctx, id: string) => ({ id }),
    allowed: async (data, { sql }, id: string) => {
      expect(data.cancelClassSession.cancelledAt).toEqual(expect.any(String));
      expect(await sql`select 1 from class_sessions where id = ${id} and cancelled_at is not null`).toHaveLength(1);
    },
  }),
  op({
    operation: 'updateCourse',
    who: [U, F, F, A, F, A],
    document: `mutation($id: ID!, $t: String!) { updateCourse(id: $id, title: $t) { id title } }`,
    variables: ({ course, persona }) => ({ id: course.id, t: `History, as ${persona} says` }),
    allowed: async (data, { sql, course, persona }) => {
      expect(data.updateCourse).toEqual({ id: course.id, title: `History, as ${persona} says` });
      const [row] = await sql`select title from courses where id = ${course.id}`;
      expect(row.title).toBe(`History, as ${persona} says`);
    },
  }),
  op({
    operation: 'removeInstructor',
    who: [U, F, F, F, F, A],
    document: `mutation($c: ID!, $i: ID!) { removeInstructor(courseId: $c, instructorId: $i) { id instructors { id } } }`,
    prepare: async ({ sql, course, persona }) => {
      const [{ id }] = await sql<{ id: string }[]>`
        insert into users (email, name, role, password_hash)
        values (${`removable-${persona}@homeroom.test`}, 'Rem Ovable', 'INSTRUCTOR', 'x') returning id`;
      await sql`insert into teaching_assignments (course_id, instructor_id) values (${course.id}, ${id})`;
      return id;
    },
    variables: ({ course }, id: string) => ({ c: course.id, i: id }),
    allowed: async (data, { sql, course }, id: string) => {
      expect(data.removeInstructor.instructors.map((i: { id: string }) => i.id)).not.toContain(id);
      expect(
        await sql`select 1 from teaching_assignments where course_id = ${course.id} and instructor_id = ${id}`,
      ).toHaveLength(0);
    },
  }),
  op({
    operation: 'updatePost (student@’s post)',
    who: [U, A, F, F, F, F],
    document: `mutation($id: ID!) { updatePost(id: $id, body: "Edited") { id body } }`,
    prepare: ({ sql, course, api }) => newPost(sql, course.id, api.f.user('student@homeroom.test')),
    variables: (_ctx, id: string) => ({ id }),
    allowed: async (data, { sql }, id: string) => {
      expect(data.updatePost).toEqual({ id, body: 'Edited' });
      expect((await sql`select body from posts where id = ${id}`)[0].body).toBe('Edited');
    },
  }),
  op({
    operation: 'deletePost (student@’s post)',
    who: [U, A, F, A, F, A],
    document: `mutation($id: ID!) { deletePost(id: $id) { id } }`,
    prepare: ({ sql, course, api }) => newPost(sql, course.id, api.f.user('student@homeroom.test')),
    variables: (_ctx, id: string) => ({ id }),
    allowed: async (data, { sql }, id: string) => {
      expect(data.deletePost.id).toBe(id);
      expect(await sql`select 1 from posts where id = ${id}`).toHaveLength(0);
    },
  }),
  op({
    operation: 'deletePost (a classmate’s post)',
    who: [U, F, F, A, F, A],
    document: `mutation($id: ID!) { deletePost(id: $id) { id } }`,
    prepare: ({ sql, course, api }) => newPost(sql, course.id, api.f.user('student01@homeroom.test')),
    variables: (_ctx, id: string) => ({ id }),
    allowed: async (_data, { sql }, id: string) => {
      expect(await sql`select 1 from posts where id = ${id}`).toHaveLength(0);
    },
  }),
  op({
    operation: 'updateComment (student@’s comment)',
    who: [U, A, F, F, F, F],
    document: `mutation($id: ID!) { updateComment(id: $id, body: "Edited") { id body } }`,
    prepare: ({ sql, course, api }) => newComment(sql, course.id, api.f.user('student@homeroom.test')),
    variables: (_ctx, id: string) => ({ id }),
    allowed: async (data, { sql }, id: string) => {
      expect(data.updateComment).toEqual({ id, body: 'Edited' });
      expect((await sql`select body from comments where id = ${id}`)[0].body).toBe('Edited');
    },
  }),
  op({
    operation: 'deleteComment (student@’s comment)',
    who: [U, A, F, A, F, A],
    document: `mutation($id: ID!) { deleteComment(id: $id) { id } }`,
    prepare: ({ sql, course, api }) => newComment(sql, course.id, api.f.user('student@homeroom.test')),
    variables: (_ctx, id: string) => ({ id }),
    allowed: async (_data, { sql }, id: string) => {
      expect(await sql`select 1 from comments where id = ${id}`).toHaveLength(0);
    },
  }),
];

async function newAssessment(sql: postgres.Sql, courseId: string): Promise<string> {
  const [{ id }] = await sql<{ id: string }[]>`
    insert into assessments (course_id, title, kind, max_score) values (${courseId}, 'Target', 'QUIZ', 20) returning id`;
  return id;
}

async function newSession(sql: postgres.Sql, courseId: string): Promise<string> {
  const [{ id }] = await sql<{ id: string }[]>`
    insert into class_sessions (course_id, title, starts_at) values (${courseId}, 'Target', '2031-05-05T09:00:00Z') returning id`;
  return id;
}

async function newPost(sql: postgres.Sql, courseId: string, authorId: string): Promise<string> {
  const [{ id }] = await sql<{ id: string }[]>`
    insert into posts (course_id, author_id, body) values (${courseId}, ${authorId}, 'Target') returning id`;
  return id;
}

async function newComment(sql: postgres.Sql, courseId: string, authorId: string): Promise<string> {
  const post = await newPost(sql, courseId, authorId);
  const [{ id }] = await sql<{ id: string }[]>`
    insert into comments (post_id, course_id, author_id, body) values (${post}, ${courseId}, ${authorId}, 'Target') returning id`;
  return id;
}

// ---------------------------------------------------------------------------------------------
// The runner

async function contextFor(persona: Persona): Promise<Ctx> {
  const email = WHO[persona].email;
  return {
    api,
    sql: api.sql,
    persona,
    email,
    userId: email ? api.f.user(email) : null,
    token: email ? await api.tokenFor(email) : null,
    course,
  };
}

/** The value at an error's path, e.g. data.course.students for ["course", "students"]. */
function valueAt(data: unknown, path: (string | number)[] = []): unknown {
  return path.reduce<unknown>(
    (value, key) => (value == null ? value : (value as Record<string | number, unknown>)[key]),
    data,
  );
}

function expectRefused(result: GraphQLResult, code: Outcome) {
  expect(codes(result), JSON.stringify(result.errors)).toEqual([code]);
  const [error] = result.errors!;
  expect(valueAt(result.data, error.path)).toBeNull();
}

function matrix(title: string, cases: Case[], kind: 'query' | 'mutation') {
  describe(title, () => {
    for (const c of cases) {
      describe(c.operation, () => {
        PERSONAS.forEach((persona, i) => {
          const expected = c.who[i];
          it(`${WHO[persona].label} → ${expected}`, async () => {
            const ctx = await contextFor(persona);
            const prepared = await c.prepare?.(ctx);
            const variables = c.variables?.(ctx, prepared) ?? {};
            const before = kind === 'mutation' && expected !== A ? await snapshot(api.sql, tables) : undefined;

            const result = await api.gql(c.document, variables, ctx.token);

            if (expected === A) {
              expect(result.errors, JSON.stringify(result.errors)).toBeUndefined();
              await c.allowed(result.data, ctx, prepared);
            } else {
              expectRefused(result, expected);
              if (before) expect(await snapshot(api.sql, tables), 'a refused mutation changed rows').toEqual(before);
            }
          });
        });
      });
    }
  });
}

matrix('queries', queries, 'query');
matrix('mutations', mutations, 'mutation');
