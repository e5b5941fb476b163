/**
 * Who receives what (PRODUCT.md "People and what each may see"): every subscription × six callers ×
 * own/foreign course, live and replayed (`after`), and the `updates` polling fallback, against an
 * independent oracle of the rules (test/live/oracle.ts). Then a student unenrolled mid-stream.
 */
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ATTENDANCE_CHANGED,
  allUpdates,
  CONTENT_AVAILABLE,
  COURSE_CHANGED,
  connectLive,
  expectedFor,
  GRADE_CHANGED,
  gql,
  gqlOk,
  LIVE_CURSOR,
  type LiveConnection,
  type LiveDatabase,
  type LiveStream,
  loadMemberships,
  MESSAGE_CHANGED,
  maySee,
  NOTIFICATION_RECEIVED,
  newStreams,
  openLiveDatabase,
  type Persona,
  POLL_CHANGED,
  STATS_CHANGED,
  startTestApp,
  strictlyIncreasing,
  type TestApp,
} from '../../test/live';

let ldb: LiveDatabase;
let sql: postgres.Sql;
let api: TestApp;
beforeAll(async () => {
  ldb = await openLiveDatabase();
  sql = ldb.sql;
  // No coalescing delay: each content burst still arrives as one or more messages, sooner.
  api = await startTestApp({ databaseUrl: ldb.url, env: { CONTENT_COALESCE_MS: '0', STATS_COALESCE_MS: '0' } });
});
afterAll(async () => {
  await api?.stop();
  await ldb?.close();
});

/** HIST201 is the course under test: taught by instructor2@, with student@ and student01–10. */
const CALLERS = {
  studentIn: { email: 'student@homeroom.test', foreign: 'PHYS110' },
  otherStudentIn: { email: 'student01@homeroom.test', foreign: 'PHYS110' },
  studentOut: { email: 'student11@homeroom.test', foreign: 'HIST201' },
  instructor: { email: 'instructor2@homeroom.test', foreign: 'MATH101' },
  otherInstructor: { email: 'instructor@homeroom.test', foreign: 'HIST201' },
  admin: { email: 'admin@homeroom.test', foreign: null },
} as const;
type Caller = keyof typeof CALLERS;
const MAY_SUBSCRIBE_TO_HIST: Record<Caller, boolean> = {
  studentIn: true,
  otherStudentIn: true,
  studentOut: false,
  instructor: true,
  otherInstructor: false,
  admin: true,
};

const SUBSCRIPTIONS = [
  { field: 'gradeChanged', topic: 'grade', query: GRADE_CHANGED },
  { field: 'attendanceChanged', topic: 'attendance', query: ATTENDANCE_CHANGED },
  { field: 'pollChanged', topic: 'poll', query: POLL_CHANGED },
  { field: 'contentAvailable', topic: 'content', query: CONTENT_AVAILABLE },
  { field: 'messageChanged', topic: 'message', query: MESSAGE_CHANGED },
  { field: 'courseChanged', topic: 'course', query: COURSE_CHANGED },
] as const;
/** statsChanged needs a course and is for its staff; it derives from these outbox topics. */
const STATS_SOURCES = ['grade', 'attendance', 'course'];
const MAY_SEE_HIST_STATS: Record<Caller, boolean> = {
  studentIn: false,
  otherStudentIn: false,
  studentOut: false,
  instructor: true,
  otherInstructor: false,
  admin: true,
};

type Sub = { caller: Caller; label: string; topic: string; courseId?: string; stream: LiveStream<any> };

describe('authorization matrix', () => {
  const conns: LiveConnection[] = [];
  afterAll(() => Promise.all(conns.map((c) => c.dispose())));

  it('every subscription × caller × course, live and replayed, and `updates`, deliver exactly what the rules allow', async () => {
    const hist = ldb.f.course('HIST201');
    const math = ldb.f.course('MATH101');
    const phys = ldb.f.course('PHYS110');
    const courseByCode = { HIST201: hist, MATH101: math, PHYS110: phys };
    const callers = Object.keys(CALLERS) as Caller[];
    const persona = Object.fromEntries(callers.map((c) => [c, ldb.persona(CALLERS[c].email)])) as Record<
      Caller,
      Persona
    >;
    const token = Object.fromEntries(
      await Promise.all(callers.map(async (c) => [c, await ldb.token(CALLERS[c].email)])),
    ) as Record<Caller, string>;
    const start = (await gqlOk(api.url, LIVE_CURSOR, {}, token.admin)).liveCursor as string;

    /** Opens, for one caller, every subscription of the matrix (optionally replaying from `after`). */
    function subscribeAll(caller: Caller, after?: string): { subs: Sub[]; refused: Sub[] } {
      const conn = connectLive(api.wsUrl, token[caller]);
      conns.push(conn);
      const subs: Sub[] = [];
      const refused: Sub[] = [];
      const mode = after ? 'replay' : 'live';
      for (const s of SUBSCRIPTIONS) {
        subs.push({
          caller,
          label: `${caller} ${s.field}() ${mode}`,
          topic: s.topic,
          stream: conn.subscribe(s.query, { after }),
        });
        const own = {
          caller,
          label: `${caller} ${s.field}(HIST201) ${mode}`,
          topic: s.topic,
          courseId: hist.id,
          stream: conn.subscribe(s.query, { courseId: hist.id, after }),
        };
        (MAY_SUBSCRIBE_TO_HIST[caller] ? subs : refused).push(own);
        const foreign = CALLERS[caller].foreign;
        if (foreign && foreign !== 'HIST201') {
          refused.push({
            caller,
            label: `${caller} ${s.field}(${foreign}) ${mode}`,
            topic: s.topic,
            stream: conn.subscribe(s.query, { courseId: courseByCode[foreign].id, after }),
          });
        }
      }
      if (caller === 'admin')
        subs.push({
          caller,
          label: `admin gradeChanged(PHYS110) ${mode}`,
          topic: 'grade',
          courseId: phys.id,
          stream: conn.subscribe(GRADE_CHANGED, { courseId: phys.id, after }),
        });
      const stats = {
        caller,
        label: `${caller} statsChanged(HIST201) ${mode}`,
        topic: 'stats',
        courseId: hist.id,
        stream: conn.subscribe(STATS_CHANGED, { courseId: hist.id, after }),
      };
      (MAY_SEE_HIST_STATS[caller] ? subs : refused).push(stats);
      if (caller === 'instructor')
        refused.push({
          caller,
          label: `instructor statsChanged(MATH101) ${mode}`,
          topic: 'stats',
          stream: conn.subscribe(STATS_CHANGED, { courseId: math.id, after }),
        });
      subs.push({
        caller,
        label: `${caller} notificationReceived ${mode}`,
        topic: 'notification',
        stream: conn.subscribe(NOTIFICATION_RECEIVED, { after }),
      });
      if (!MAY_SUBSCRIBE_TO_HIST[caller])
        refused.push({
          caller,
          label: `${caller} pollChanged(pollId of HIST201)`,
          topic: 'poll',
          stream: conn.subscribe(POLL_CHANGED, { pollId: hist.poll.id, after }),
        });
      return { subs, refused };
    }

    const registered = newStreams(api);
    const live = callers.map((c) => subscribeAll(c));
    const liveSubs = live.flatMap((l) => l.subs);
    expect(liveSubs).toHaveLength(69);
    expect(live.flatMap((l) => l.refused)).toHaveLength(37);
    await registered(liveSubs.length);

    // The events: personal ones for several students, course-wide ones in three courses, notifications made by triggers.
    const [studentIn, other, out] = [persona.studentIn.id, persona.otherStudentIn.id, persona.studentOut.id];
    await ldb.setGrade(hist.assessments.Midterm.id, hist.id, studentIn, 81);
    await ldb.setGrade(hist.assessments.Midterm.id, hist.id, other, 82);
    await ldb.setGrade(math.assessments.Midterm.id, math.id, out, 83);
    await ldb.setGrade(phys.assessments.Midterm.id, phys.id, out, 84);
    for (const [course, student] of [
      [hist, studentIn],
      [hist, other],
      [math, out],
      [phys, out],
    ] as const) {
      await sql`insert into attendance_records (session_id, course_id, student_id, status) values (${course.sessions['Lesson 3']}, ${course.id}, ${student}, 'PRESENT')`;
    }
    const [poll] = await sql<
      { id: string }[]
    >`insert into polls (course_id, question, created_by_id) values (${hist.id}, 'Matrix?', ${persona.instructor.id}) returning id`;
    const [option] = await sql<
      { id: string }[]
    >`insert into poll_options (poll_id, label, position) values (${poll.id}, 'Yes', 0) returning id`;
    await sql`insert into ballots (poll_id, course_id, option_id, voter_id) values (${poll.id}, ${hist.id}, ${option.id}, ${other})`;
    await sql`update ballots set option_id = ${math.poll.options['Friday morning']} where poll_id = ${math.poll.id} and voter_id = ${math.studentIds[1]}`;
    await sql`insert into ballots (poll_id, course_id, option_id, voter_id) values (${phys.poll.id}, ${phys.id}, ${phys.poll.options['Wednesday lunch']}, ${out})`;
    await sql`insert into posts (course_id, author_id, body) values (${hist.id}, ${studentIn}, 'HIST question')`;
    await sql`insert into posts (course_id, author_id, body, announcement) values (${hist.id}, ${persona.instructor.id}, 'HIST announcement', true)`;
    await sql`insert into comments (post_id, course_id, author_id, body) values (${hist.posts.question}, ${hist.id}, ${other}, 'HIST comment')`;
    await sql`insert into posts (course_id, author_id, body, announcement) values (${math.id}, ${persona.otherInstructor.id}, 'MATH announcement', true)`;
    await sql`insert into posts (course_id, author_id, body) values (${phys.id}, ${out}, 'PHYS post')`;
    // Chat: each course's channel, and a direct conversation of studentIn with their instructor
    // (its events name both; nobody else but admins sees them).
    const channelOf = async (courseId: string) =>
      (await sql<{ id: string }[]>`select id from conversations where course_id = ${courseId} and kind = 'CHANNEL'`)[0]
        .id;
    const say = (conversationId: string, courseId: string, authorId: string, body: string) =>
      sql`insert into messages (conversation_id, course_id, author_id, client_message_id, body)
          values (${conversationId}, ${courseId}, ${authorId}, ${`matrix ${body}`}, ${body})`;
    await say(await channelOf(hist.id), hist.id, studentIn, 'HIST channel');
    await say(await channelOf(math.id), math.id, out, 'MATH channel');
    await say(await channelOf(phys.id), phys.id, persona.instructor.id, 'PHYS channel');
    const [direct] = await sql<{ id: string }[]>`
      insert into conversations (course_id, kind, pair_key)
      values (${hist.id}, 'DIRECT', ${[studentIn, persona.instructor.id].sort().join(':')}) returning id`;
    await sql`insert into conversation_participants (conversation_id, user_id)
              values (${direct.id}, ${studentIn}), (${direct.id}, ${persona.instructor.id})`;
    await say(direct.id, hist.id, persona.instructor.id, 'HIST direct');
    // Course structure in every course; an enrolment in HIST201 that only its staff and that student may see.
    await sql`update assessments set weight = weight where title = 'Participation'`;
    await sql`update class_sessions set starts_at = starts_at + interval '1 hour' where course_id = ${hist.id} and title = 'Lesson 5'`;
    const [{ id: newcomer }] = await sql<{ id: string }[]>`
      select id from users u where role = 'STUDENT' and id <> ${out}
        and not exists (select 1 from enrolments e where e.student_id = u.id and e.course_id = ${hist.id})
      order by email limit 1`;
    await sql`insert into enrolments (course_id, student_id) values (${hist.id}, ${newcomer})`;
    await sql`delete from enrolments where course_id = ${hist.id} and student_id = ${newcomer}`;
    // Last, in one transaction: a notification for everyone (also for those no trigger notifies).
    await sql.begin(async (tx) => {
      for (const c of callers)
        await tx`insert into notifications (user_id, kind, message) values (${persona[c].id}, 'ANNOUNCEMENT', ${`for ${c}`})`;
    });

    const rows = await ldb.outbox(start);
    const memberships = await loadMemberships(sql);
    const replay = callers.map((c) => subscribeAll(c, start));

    async function check(sub: Sub) {
      if (sub.topic === 'stats') {
        // Derived and coalesced: each message covers `changes` of the course's grade, attendance
        // and course events (all of them: it is for staff) and carries the cursor of the last.
        const sources = rows
          .filter((r) => STATS_SOURCES.includes(r.topic) && r.course_id === sub.courseId)
          .map((r) => r.cursor);
        const covered = () => sub.stream.items.reduce((n, m) => n + m.changes, 0);
        await sub.stream.until(() => covered() >= sources.length, 15_000, sub.label);
        expect(covered(), sub.label).toBe(sources.length);
        expect(
          sub.stream.cursors().every((c) => sources.includes(c)),
          sub.label,
        ).toBe(true);
        expect(sub.stream.cursors().at(-1), sub.label).toBe(sources.at(-1));
        expect(
          sub.stream.items.every((m) => m.stats.id === sub.courseId),
          sub.label,
        ).toBe(true);
        expect(strictlyIncreasing(sub.stream.cursors()), sub.label).toBe(true);
        expect(sub.stream.errors, sub.label).toEqual([]);
        return;
      }
      const expected = expectedFor(rows, persona[sub.caller], memberships, {
        topic: sub.topic,
        courseId: sub.courseId,
      }).map((r) => r.cursor);
      expect(expected.length, `${sub.label}: the matrix gives it something to see`).toBeGreaterThan(0);
      if (sub.topic === 'content') {
        // Coalesced: each message covers `changes` events and carries the cursor of the last.
        await sub.stream.until(
          () => sub.stream.items.reduce((n, m) => n + m.changes, 0) >= expected.length,
          15_000,
          sub.label,
        );
        expect(
          sub.stream.items.reduce((n, m) => n + m.changes, 0),
          sub.label,
        ).toBe(expected.length);
        expect(
          sub.stream.cursors().every((c) => expected.includes(c)),
          sub.label,
        ).toBe(true);
        expect(sub.stream.cursors().at(-1), sub.label).toBe(expected.at(-1));
      } else {
        await sub.stream.find((e) => e.cursor === expected.at(-1), 15_000, `${sub.label}: its last event`);
        expect(sub.stream.cursors(), sub.label).toEqual(expected);
      }
      expect(strictlyIncreasing(sub.stream.cursors()), sub.label).toBe(true);
      expect(sub.stream.errors, sub.label).toEqual([]);
    }

    for (const sub of [...liveSubs, ...replay.flatMap((r) => r.subs)]) await check(sub);
    for (const sub of [...live, ...replay].flatMap((r) => r.refused)) {
      await sub.stream.ended(10_000);
      expect(
        sub.stream.errors.map((e) => e.extensions?.code),
        sub.label,
      ).toEqual(['FORBIDDEN']);
      expect(sub.stream.items, sub.label).toEqual([]);
    }

    // Spot checks in the payloads: a student's grade and attendance events are only about them.
    const studentGrades = liveSubs.find((s) => s.label === 'studentIn gradeChanged(HIST201) live')!.stream.items;
    expect(studentGrades.map((e) => e.grade.student.id)).toEqual([studentIn]);
    expect(
      liveSubs
        .find((s) => s.label === 'otherStudentIn attendanceChanged() live')!
        .stream.items.map((e) => e.record.student.id),
    ).toEqual([other]);
    expect(
      liveSubs
        .find((s) => s.label === 'instructor gradeChanged(HIST201) live')!
        .stream.items.map((e) => e.grade.student.id),
    ).toEqual([studentIn, other]);

    // The polling fallback: same rules, same events.
    for (const caller of callers) {
      for (const courseId of [undefined, hist.id]) {
        const label = `${caller} updates(${courseId ? 'HIST201' : ''})`;
        if (courseId && !MAY_SUBSCRIBE_TO_HIST[caller]) {
          const refused = await gql(
            api.url,
            `query ($after: String!, $courseId: ID) { updates(after: $after, courseId: $courseId) { cursor } }`,
            { after: start, courseId },
            token[caller],
          );
          expect(
            refused.errors?.map((e) => e.extensions?.code),
            label,
          ).toEqual(['FORBIDDEN']);
          continue;
        }
        const visible = rows.filter(
          (r) =>
            r.topic !== 'membership' &&
            (!courseId || r.course_id === courseId) &&
            maySee(r, persona[caller], memberships),
        );
        const page = await allUpdates(api.url, token[caller], start, courseId);
        const content = page.events.filter((e) => e.__typename === 'ContentAvailableEvent');
        expect(
          page.events.filter((e) => e.__typename !== 'ContentAvailableEvent').map((e) => e.cursor),
          label,
        ).toEqual(visible.filter((r) => r.topic !== 'content').map((r) => r.cursor));
        expect(
          content.reduce((n, e) => n + e.changes!, 0),
          label,
        ).toBe(visible.filter((r) => r.topic === 'content').length);
        expect(page.resyncRequired, label).toBe(false);
      }
    }
  });
});

describe('membership changes mid-stream', () => {
  it('a student unenrolled by an admin stops receiving that course’s events at once, and sees them again when re-enrolled', async () => {
    const hist = ldb.f.course('HIST201');
    const math = ldb.f.course('MATH101');
    const student = ldb.persona('student02@homeroom.test');
    const [studentToken, adminToken] = await Promise.all([
      ldb.token('student02@homeroom.test'),
      ldb.token('admin@homeroom.test'),
    ]);
    const conn = connectLive(api.wsUrl, studentToken);
    const adminConn = connectLive(api.wsUrl, adminToken);
    try {
      const registered = newStreams(api);
      const anyCourse = conn.subscribe(GRADE_CHANGED, {});
      const histOnly = conn.subscribe(GRADE_CHANGED, { courseId: hist.id });
      const content = conn.subscribe(CONTENT_AVAILABLE, { courseId: hist.id });
      const admin = adminConn.subscribe(GRADE_CHANGED, { courseId: hist.id });
      await registered(4);

      const grade = (course: typeof hist, score: number) =>
        ldb.setGrade(course.assessments.Midterm.id, course.id, student.id, score);
      const cursorOf = async (course: typeof hist) =>
        (await ldb.outbox())
          .filter((r) => r.topic === 'grade' && r.course_id === course.id && r.audience_user_id === student.id)
          .at(-1)!.cursor;

      await grade(hist, 10);
      const e0 = await cursorOf(hist);
      await histOnly.find((e) => e.cursor === e0);

      const unenrol = /* GraphQL */ `mutation ($c: ID!, $s: ID!) { unenrolStudent(courseId: $c, studentId: $s) { id } }`;
      await gqlOk(api.url, unenrol, { c: hist.id, s: student.id }, adminToken);
      await grade(hist, 11); // not theirs to see any more
      const e1 = await cursorOf(hist);
      await sql`insert into posts (course_id, author_id, body) values (${hist.id}, ${hist.instructorIds[0]}, 'after the unenrolment')`;
      await grade(math, 12); // still enrolled there
      const s = await cursorOf(math);
      await anyCourse.find((e) => e.cursor === s, 10_000, 'the MATH grade');
      await admin.find((e) => e.cursor === e1, 10_000, 'the HIST grade on the admin stream');
      expect(anyCourse.cursors()).toEqual([e0, s]);
      expect(histOnly.cursors()).toEqual([e0]);
      expect(content.items).toEqual([]);

      // Replay and polling agree: the unenrolled student is not shown e1 either.
      const updates = await allUpdates(api.url, studentToken, e0);
      expect(updates.events.map((e) => e.cursor)).not.toContain(e1);

      const enrol = /* GraphQL */ `mutation ($c: ID!, $s: ID!) { enrolStudent(courseId: $c, studentId: $s) { id } }`;
      await gqlOk(api.url, enrol, { c: hist.id, s: student.id }, adminToken);
      await grade(hist, 13);
      const e2 = await cursorOf(hist);
      await histOnly.find((e) => e.cursor === e2, 10_000, 'the grade after re-enrolment');
      await anyCourse.find((e) => e.cursor === e2, 10_000, 'the grade after re-enrolment');
      expect(histOnly.cursors()).toEqual([e0, e2]);
      expect(anyCourse.cursors()).toEqual([e0, s, e2]);
    } finally {
      await Promise.all([conn.dispose(), adminConn.dispose()]);
    }
  });

  it('an instructor removed from a course stops receiving its students’ grades, and keeps their other course', async () => {
    const hist = ldb.f.course('HIST201');
    const phys = ldb.f.course('PHYS110');
    const instructor = ldb.f.user('instructor2@homeroom.test');
    const conn = connectLive(api.wsUrl, await ldb.token('instructor2@homeroom.test'));
    try {
      const registered = newStreams(api);
      const grades = conn.subscribe(GRADE_CHANGED, {});
      await registered(1);
      const last = async () => (await ldb.outbox()).filter((r) => r.topic === 'grade').at(-1)!.cursor;
      await ldb.setGrade(hist.assessments.Midterm.id, hist.id, hist.studentIds[3], 30);
      const before = await last();
      await sql`delete from teaching_assignments where course_id = ${hist.id} and instructor_id = ${instructor}`;
      await ldb.setGrade(hist.assessments.Midterm.id, hist.id, hist.studentIds[4], 31);
      const hidden = await last();
      await ldb.setGrade(phys.assessments.Midterm.id, phys.id, phys.studentIds[0], 32);
      const still = await last();
      await grades.find((e) => e.cursor === still, 10_000, 'the PHYS grade');
      expect(grades.cursors()).toEqual([before, still]);
      expect(grades.cursors()).not.toContain(hidden);
    } finally {
      await conn.dispose();
      await sql`insert into teaching_assignments (course_id, instructor_id) values (${hist.id}, ${instructor}) on conflict do nothing`;
    }
  });
});
