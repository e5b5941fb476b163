/**
 * The whole course is live (issue 11): structure and membership changes reach the right people
 * through courseChanged — with the standings a weight change moved, sessions rescheduled or
 * cancelled with a notification, a dashboard gaining and losing a course — and through `updates`.
 */
import { describe, expect, it } from 'vitest';
import { gql, gqlOk, LIVE_CURSOR, newStreams, sseSubscribe, useLiveApp } from '../../test/live';

const live = useLiveApp();
const { connect } = live;

const COURSE_CHANGED = /* GraphQL */ `
  subscription ($c: ID, $after: String) {
    courseChanged(courseId: $c, after: $after) {
      cursor action change courseId entityId
      course { id code title myStanding { id average } standings { id average } }
      assessment { id weight maxScore }
      session { id startsAt cancelledAt }
      user { id }
    }
  }`;
const NOTIFICATIONS = /* GraphQL */ `subscription { notificationReceived { notification { kind message link } } }`;

describe('courseChanged', () => {
  it('a weight change moves every standing: the student sees their own, the instructor everyone’s', async () => {
    const math = live.ldb.f.course('MATH101');
    const student = live.ldb.f.user('student@homeroom.test');
    const registered = newStreams(live.api);
    const asStudent = (await connect('student@homeroom.test')).subscribe(COURSE_CHANGED, { c: math.id });
    const asInstructor = (await connect('instructor@homeroom.test')).subscribe(COURSE_CHANGED, { c: math.id });
    await registered(2);
    const before = await gqlOk(
      live.api.url,
      `query ($c: ID!) { course(id: $c) { myStanding { average } } }`,
      { c: math.id },
      await live.ldb.token('student@homeroom.test'),
    );
    // An assessment the student has a grade in, weighed far more than before.
    const [graded] = await live.ldb.sql<{ id: string; weight: number }[]>`
      select a.id, a.weight from grades g join assessments a on a.id = g.assessment_id
      where g.student_id = ${student} and g.course_id = ${math.id} order by g.score / a.max_score limit 1`;
    const weight = Number(graded.weight) + 10;
    const { updateAssessment } = await gqlOk(
      live.api.url,
      `mutation ($id: ID!, $w: Float!) { updateAssessment(id: $id, weight: $w) { id weight } }`,
      { id: graded.id, w: weight },
      await live.ldb.token('instructor@homeroom.test'),
    );
    expect(updateAssessment.weight).toBe(weight);
    const [mine] = await asStudent.count(1);
    const [staff] = await asInstructor.count(1);
    expect(mine).toMatchObject({ action: 'UPDATED', change: 'ASSESSMENT', assessment: { id: graded.id, weight } });
    // Their own standing only, recomputed without the midterm.
    expect(mine.course.standings).toEqual([mine.course.myStanding]);
    expect(mine.course.myStanding.id).toBe(`${math.id}:${student}`);
    expect(mine.course.myStanding.average).not.toBe(before.course.myStanding.average);
    expect(staff.course.myStanding).toBeNull();
    expect(staff.course.standings).toHaveLength(math.studentIds.length);
    expect(staff.course.standings).toContainEqual(mine.course.myStanding);
  });

  it('a reschedule and a cancellation reach the students live, each with a SESSION_CHANGED notification', async () => {
    const math = live.ldb.f.course('MATH101');
    const registered = newStreams(live.api);
    const conn = await connect('student01@homeroom.test');
    const changes = conn.subscribe(COURSE_CHANGED, { c: math.id });
    const notes = conn.subscribe(NOTIFICATIONS);
    await registered(2);
    const token = await live.ldb.token('instructor@homeroom.test');
    const startsAt = '2031-01-02T09:30:00.000Z';
    const session = math.sessions['Lesson 5'];
    await gqlOk(
      live.api.url,
      `mutation ($id: ID!, $at: DateTime!) { updateClassSession(id: $id, startsAt: $at) { id } }`,
      {
        id: session,
        at: startsAt,
      },
      token,
    );
    await gqlOk(
      live.api.url,
      `mutation ($id: ID!) { cancelClassSession(id: $id) { id cancelledAt } }`,
      { id: session },
      token,
    );
    const [moved, cancelled] = await changes.count(2);
    expect(moved).toMatchObject({ change: 'SESSION', session: { id: session, startsAt, cancelledAt: null } });
    expect(cancelled.session.cancelledAt).toEqual(expect.any(String));
    const [rescheduledNote, cancelledNote] = (await notes.count(2)).map((n) => n.notification);
    expect(rescheduledNote).toMatchObject({
      kind: 'SESSION_CHANGED',
      message: expect.stringMatching(/Rescheduled: Lesson 5, now 2031-01-02 09:30 UTC/),
    });
    expect(cancelledNote).toMatchObject({
      kind: 'SESSION_CHANGED',
      message: expect.stringMatching(/Cancelled: Lesson 5/),
    });
    // A cancelled session cannot be rescheduled.
    const again = await gql(
      live.api.url,
      `mutation ($id: ID!) { updateClassSession(id: $id, title: "x") { id } }`,
      { id: session },
      token,
    );
    expect(again.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('a dashboard gains a course on enrolment and loses it on unenrolment, then hears nothing more of it', async () => {
    const phys = live.ldb.f.course('PHYS110');
    const hist = live.ldb.f.course('HIST201');
    const student = live.ldb.f.user('student@homeroom.test');
    const admin = await live.ldb.token('admin@homeroom.test');
    const registered = newStreams(live.api);
    const conn = await connect('student@homeroom.test');
    const dashboard = conn.subscribe(COURSE_CHANGED, {});
    const notes = conn.subscribe(NOTIFICATIONS);
    // A classmate's view of PHYS110: must not learn who joined.
    const [{ email }] = await live.ldb.sql<
      { email: string }[]
    >`select email from users where id = ${phys.studentIds[0]}`;
    const classmate = (await connect(email)).subscribe(COURSE_CHANGED, {});
    await registered(3);
    const start = (await gqlOk(live.api.url, LIVE_CURSOR, {}, admin)).liveCursor;
    const enrol = `mutation ($c: ID!, $s: ID!) { enrolStudent(courseId: $c, studentId: $s) { id } }`;
    const unenrol = `mutation ($c: ID!, $s: ID!) { unenrolStudent(courseId: $c, studentId: $s) { id } }`;
    await gqlOk(live.api.url, enrol, { c: phys.id, s: student }, admin);
    const [joined] = await dashboard.count(1);
    expect(joined).toMatchObject({
      action: 'CREATED',
      change: 'ENROLMENT',
      courseId: phys.id,
      entityId: student,
      course: { id: phys.id, code: 'PHYS110' },
    });
    const [enrolled] = await notes.count(1);
    expect(enrolled.notification).toMatchObject({ kind: 'ENROLLED', link: `/courses/${phys.id}` });

    await gqlOk(live.api.url, unenrol, { c: phys.id, s: student }, admin);
    const [, left] = await dashboard.count(2);
    expect(left).toMatchObject({ action: 'DELETED', change: 'ENROLMENT', courseId: phys.id, course: null });

    // Then nothing more of PHYS110: a change there, then one in HIST201 (still theirs) — only the latter arrives.
    await gqlOk(
      live.api.url,
      `mutation ($id: ID!) { updateCourse(id: $id, title: "Physics, renamed") { id } }`,
      { id: phys.id },
      admin,
    );
    await gqlOk(
      live.api.url,
      `mutation ($id: ID!) { updateCourse(id: $id, title: "History, renamed") { id } }`,
      { id: hist.id },
      admin,
    );
    const [, , next] = await dashboard.count(3);
    expect(next).toMatchObject({ change: 'COURSE', courseId: hist.id, course: { title: 'History, renamed' } });
    expect(dashboard.items).toHaveLength(3);

    // The same from `updates`, replayed after the start.
    const { updates } = await gqlOk(
      live.api.url,
      `query ($after: String!) { updates(after: $after) { events { __typename ... on CourseEvent { change courseId } } } }`,
      { after: start },
      await live.ldb.token('student@homeroom.test'),
    );
    const courseEvents = updates.events.filter((e: { __typename: string }) => e.__typename === 'CourseEvent');
    expect(courseEvents).toEqual([
      { __typename: 'CourseEvent', change: 'ENROLMENT', courseId: phys.id },
      { __typename: 'CourseEvent', change: 'ENROLMENT', courseId: phys.id },
      { __typename: 'CourseEvent', change: 'COURSE', courseId: hist.id },
    ]);
    // The classmate heard the rename of their course (after the enrolments), never the enrolments.
    const [renamed] = await classmate.count(1);
    expect(renamed).toMatchObject({ change: 'COURSE', courseId: phys.id });
    expect(classmate.items.map((e) => e.change)).toEqual(['COURSE']);
  });

  it('travels over SSE too, replayed after a cursor, with the session as it is now', async () => {
    const math = live.ldb.f.course('MATH101');
    const student = await live.ldb.token('student03@homeroom.test');
    const { liveCursor } = await gqlOk(live.api.url, LIVE_CURSOR, {}, student);
    const session = math.sessions['Lesson 4'];
    const startsAt = '2031-02-03T08:15:00.000Z';
    await gqlOk(
      live.api.url,
      `mutation ($id: ID!, $at: DateTime!) { updateClassSession(id: $id, startsAt: $at) { id } }`,
      { id: session, at: startsAt },
      await live.ldb.token('instructor@homeroom.test'),
    );
    const sse = await sseSubscribe(live.api.url, COURSE_CHANGED, { c: math.id, after: liveCursor }, student);
    try {
      expect(sse.status).toBe(200);
      const { data } = await sse.events.find((r) => r.data?.courseChanged?.session?.id === session);
      expect(data.courseChanged).toMatchObject({
        action: 'UPDATED',
        change: 'SESSION',
        courseId: math.id,
        session: { id: session, startsAt, cancelledAt: null },
      });
    } finally {
      await sse.close();
    }
  });
});
