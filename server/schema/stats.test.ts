/**
 * Course.stats and statsChanged (issue 11): the statistics are right, staff alone see them, a burst
 * of changes is one event computed once for every subscriber, replay and SSE carry them, and
 * `updates` carries the events they derive from instead (a derived topic, docs/realtime.md §7).
 */
import { describe, expect, it } from 'vitest';
import {
  allUpdates,
  countQueries,
  gqlOk,
  LIVE_CURSOR,
  newStreams,
  sseSubscribe,
  useLiveApp,
  waitFor,
} from '../../test/live';

const live = useLiveApp();
const { connect } = live;

const STATS_FIELDS = `id classAverage attendanceRate assessments { assessment { id } graded average median } sessions { session { id } attended rate }`;
const STATS_CHANGED = /* GraphQL */ `
  subscription ($c: ID!, $after: String) {
    statsChanged(courseId: $c, after: $after) { cursor action courseId changes stats { ${STATS_FIELDS} } }
  }`;
/** The statistics' per-assessment aggregate: one such statement per computation. */
const STATS_QUERY = /percentile_cont/;

type Stats = {
  id: string;
  classAverage: number | null;
  attendanceRate: number | null;
  assessments: { assessment: { id: string }; graded: number; average: number | null; median: number | null }[];
  sessions: { session: { id: string }; attended: number; rate: number | null }[];
};

/** The statistics computed independently, in SQL and from the standings the API already serves. */
async function expectedStats(courseId: string) {
  const assessments = await live.ldb.sql<
    { id: string; graded: number; average: number | null; median: number | null }[]
  >`
    select a.id, count(g.id)::int as graded,
      (avg(g.score) / a.max_score * 100)::float8 as average,
      (percentile_cont(0.5) within group (order by g.score) / a.max_score * 100)::float8 as median
    from assessments a left join grades g on g.assessment_id = a.id
    where a.course_id = ${courseId} group by a.id order by a.created_at, a.due_at asc nulls last, a.title`;
  const [{ enrolled }] = await live.ldb.sql<{ enrolled: number }[]>`
    select count(*)::int as enrolled from enrolments where course_id = ${courseId}`;
  const sessions = await live.ldb.sql<{ id: string; attended: number }[]>`
    select s.id, (select count(*)::int from attendance_records r where r.session_id = s.id and r.status in ('PRESENT', 'LATE')) as attended
    from class_sessions s where s.course_id = ${courseId} and s.cancelled_at is null and s.starts_at <= now()
    order by s.starts_at, s.id`;
  const { course } = await gqlOk(
    live.api.url,
    `query ($c: ID!) { course(id: $c) { standings { average } } }`,
    { c: courseId },
    await live.ldb.token('instructor@homeroom.test'),
  );
  const averages = (course.standings as { average: number | null }[]).flatMap((s) =>
    s.average === null ? [] : [s.average],
  );
  const attended = sessions.reduce((n, s) => n + s.attended, 0);
  return {
    classAverage: averages.reduce((a, b) => a + b, 0) / averages.length,
    attendanceRate: (attended / (sessions.length * enrolled)) * 100,
    assessments,
    sessions: sessions.map((s) => ({ ...s, rate: (s.attended / enrolled) * 100 })),
  };
}

function expectStats(actual: Stats, expected: Awaited<ReturnType<typeof expectedStats>>) {
  expect(actual.classAverage).toBeCloseTo(expected.classAverage, 6);
  expect(actual.attendanceRate).toBeCloseTo(expected.attendanceRate, 6);
  expect(actual.assessments.map((a) => [a.assessment.id, a.graded])).toEqual(
    expected.assessments.map((a) => [a.id, a.graded]),
  );
  actual.assessments.forEach((a, i) => {
    const e = expected.assessments[i];
    if (e.average === null) expect(a.average).toBeNull();
    else expect(a.average).toBeCloseTo(e.average, 6);
    if (e.median === null) expect(a.median).toBeNull();
    else expect(a.median).toBeCloseTo(e.median, 6);
  });
  expect(actual.sessions.map((s) => [s.session.id, s.attended])).toEqual(
    expected.sessions.map((s) => [s.id, s.attended]),
  );
  actual.sessions.forEach((s, i) => {
    expect(s.rate).toBeCloseTo(expected.sessions[i].rate, 6);
  });
}

describe('Course.stats', () => {
  it('are the class average, each assessment’s average, median and graded count, and attendance rates', async () => {
    const math = live.ldb.f.course('MATH101');
    const { course } = await gqlOk(
      live.api.url,
      `query ($c: ID!) { course(id: $c) { stats { ${STATS_FIELDS} } } }`,
      { c: math.id },
      await live.ldb.token('instructor@homeroom.test'),
    );
    expect(course.stats.id).toBe(math.id);
    // The seed grades two of four assessments and takes attendance at two of three past lessons.
    expect(course.stats.assessments.filter((a: Stats['assessments'][number]) => a.graded > 0)).toHaveLength(2);
    expect(course.stats.sessions).toHaveLength(3);
    expectStats(course.stats, await expectedStats(math.id));
  });
});

describe('statsChanged', () => {
  it('a burst of grades is one event for every staff subscriber, computed once, refused to students', async () => {
    const math = live.ldb.f.course('MATH101');
    const registered = newStreams(live.api);
    const subs = [
      (await connect('instructor@homeroom.test')).subscribe(STATS_CHANGED, { c: math.id }),
      (await connect('instructor@homeroom.test')).subscribe(STATS_CHANGED, { c: math.id }),
      (await connect('admin@homeroom.test')).subscribe(STATS_CHANGED, { c: math.id }),
    ];
    const refused = (await connect('student@homeroom.test')).subscribe(STATS_CHANGED, { c: math.id });
    // newStreams counts three hub listeners per stream; statsChanged has five (three sources + membership + account).
    await registered(5);
    await refused.ended();
    expect(refused.errors.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    const queries = countQueries(live.api, STATS_QUERY);
    const burst = await live.ldb.sql`update grades set score = score * 0.9 where course_id = ${math.id} returning id`;
    const events = await Promise.all(subs.map(async (s) => (await s.count(1))[0]));
    queries.stop();
    for (const event of events) {
      expect(event).toMatchObject({ action: 'UPDATED', courseId: math.id, changes: burst.length });
      expect(event.stats).toEqual(events[0].stats);
    }
    expectStats(events[0].stats, await expectedStats(math.id));
    // Three subscribers in two roles, a burst of grades: the statistics were read once.
    expect(queries.count).toBe(1);
  });

  it('moves with attendance, replays after a cursor as one event, and travels over SSE', async () => {
    const math = live.ldb.f.course('MATH101');
    const token = await live.ldb.token('instructor@homeroom.test');
    const { liveCursor } = await gqlOk(live.api.url, LIVE_CURSOR, {}, token);
    const lesson3 = math.sessions['Lesson 3'];
    const marked = math.studentIds.slice(0, 3);
    for (const studentId of marked)
      await gqlOk(
        live.api.url,
        `mutation ($s: ID!, $u: ID!) { recordAttendance(sessionId: $s, studentId: $u, status: PRESENT) { id } }`,
        { s: lesson3, u: studentId },
        token,
      );
    const replayed = (await connect('instructor@homeroom.test')).subscribe(STATS_CHANGED, {
      c: math.id,
      after: liveCursor,
    });
    const sse = await sseSubscribe(live.api.url, STATS_CHANGED, { c: math.id, after: liveCursor }, token);
    try {
      // All three marks, however the replay and the live stream split them (usually one event).
      const changes = (items: { changes: number }[]) => items.reduce((n, e) => n + e.changes, 0);
      await replayed.until(() => changes(replayed.items) === marked.length);
      await sse.events.until(() => changes(sse.events.items.map((r) => r.data.statsChanged)) === marked.length);
      const latest = replayed.items.at(-1).stats as Stats;
      expect(latest.sessions.find((s) => s.session.id === lesson3)?.attended).toBe(marked.length);
      expectStats(latest, await expectedStats(math.id));
      expect(sse.events.items.at(-1).data.statsChanged.stats).toEqual(latest);
    } finally {
      await sse.close();
    }
  });

  it('is not in `updates`: a polling client gets the grade events and refetches Course.stats', async () => {
    const math = live.ldb.f.course('MATH101');
    const token = await live.ldb.token('instructor@homeroom.test');
    const { __type } = await gqlOk(
      live.api.url,
      `{ __type(name: "LiveUpdate") { possibleTypes { name } } }`,
      {},
      token,
    );
    const members = (__type.possibleTypes as { name: string }[]).map((t) => t.name);
    expect(members).toContain('GradeEvent');
    expect(members).not.toContain('CourseStatsEvent');

    const { liveCursor } = await gqlOk(live.api.url, LIVE_CURSOR, {}, token);
    const midterm = math.assessments.Midterm;
    const { recordGrade } = await gqlOk(
      live.api.url,
      `mutation ($a: ID!, $s: ID!) { recordGrade(assessmentId: $a, studentId: $s, score: 41) { id } }`,
      { a: midterm.id, s: math.studentIds[0] },
      token,
    );
    const polled = await waitFor(async () => {
      const page = await allUpdates(live.api.url, token, liveCursor, math.id);
      return page.events.some((e) => e.__typename === 'GradeEvent') ? page : null;
    });
    expect(polled.events.map((e) => e.__typename)).toEqual(['GradeEvent']);
    const { course } = await gqlOk(
      live.api.url,
      `query ($c: ID!) { course(id: $c) { stats { ${STATS_FIELDS} } } }`,
      { c: math.id },
      token,
    );
    expect(
      course.stats.assessments.find((a: Stats['assessments'][number]) => a.assessment.id === midterm.id),
    ).toMatchObject({ graded: 1, average: (41 / midterm.maxScore) * 100 });
    expect(recordGrade.id).toEqual(expect.any(String));
  });
});
