import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { assessments, attendanceRecords, classSessions, enrolments, grades } from '../../db/schema';
import { builder } from '../builder';
import { memo } from '../live/memo';
import { ClassSession } from './attendance';
import { Course } from './courses';
import { Assessment, loadStandings } from './grades';
import { defineLiveTopic, eventOf } from './live-topic';
import { studentKey } from './student-keys';

type AssessmentStats = {
  assessment: typeof assessments.$inferSelect;
  average: number | null;
  median: number | null;
  graded: number;
};
type SessionStats = { session: typeof classSessions.$inferSelect; attended: number; rate: number | null };
type CourseStatsShape = {
  courseId: string;
  classAverage: number | null;
  assessments: AssessmentStats[];
  sessions: SessionStats[];
  attendanceRate: number | null;
};

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);

/** A course's class statistics, in four queries. Scores and rates are percentages 0..100. */
export async function loadCourseStats(db: Database, courseId: string): Promise<CourseStatsShape> {
  const [students, assessmentRows, gradeRows, sessionRows] = await Promise.all([
    db.select({ id: enrolments.studentId }).from(enrolments).where(eq(enrolments.courseId, courseId)),
    db
      .select()
      .from(assessments)
      .where(eq(assessments.courseId, courseId))
      // The order Course.assessments has, so a grade sheet and its statistics line up.
      .orderBy(asc(assessments.createdAt), sql`${assessments.dueAt} asc nulls last`, asc(assessments.title)),
    db
      .select({
        assessmentId: grades.assessmentId,
        average: sql<number | null>`avg(${grades.score})::float8`,
        median: sql<number | null>`percentile_cont(0.5) within group (order by ${grades.score})::float8`,
        graded: sql<number>`count(*)::int`,
      })
      .from(grades)
      .where(eq(grades.courseId, courseId))
      .groupBy(grades.assessmentId),
    db
      .select({
        session: classSessions,
        attended: sql<number>`count(${attendanceRecords.id}) filter (where ${attendanceRecords.status} in ('PRESENT', 'LATE'))::int`,
      })
      .from(classSessions)
      .leftJoin(attendanceRecords, eq(attendanceRecords.sessionId, classSessions.id))
      .where(
        and(
          eq(classSessions.courseId, courseId),
          isNull(classSessions.cancelledAt),
          sql`${classSessions.startsAt} <= now()`,
        ),
      )
      .groupBy(classSessions.id)
      .orderBy(asc(classSessions.startsAt), asc(classSessions.id)),
  ]);
  const standings = await loadStandings(
    db,
    students.map((s) => studentKey(courseId, s.id)),
  );
  const byAssessment = new Map(gradeRows.map((g) => [g.assessmentId, g]));
  const enrolled = students.length;
  const pct = (score: number | null, max: number) => (score === null ? null : (score / max) * 100);
  const sessions = sessionRows.map((s) => ({
    session: s.session,
    attended: s.attended,
    rate: enrolled ? (s.attended / enrolled) * 100 : null,
  }));
  const attendedTotal = sessions.reduce((n, s) => n + s.attended, 0);
  return {
    courseId,
    classAverage: mean(standings.flatMap((s) => (s.average === null ? [] : [s.average]))),
    assessments: assessmentRows.map((assessment) => {
      const g = byAssessment.get(assessment.id);
      return {
        assessment,
        average: pct(g?.average ?? null, assessment.maxScore),
        median: pct(g?.median ?? null, assessment.maxScore),
        graded: g?.graded ?? 0,
      };
    }),
    sessions,
    attendanceRate: sessions.length && enrolled ? (attendedTotal / (sessions.length * enrolled)) * 100 : null,
  };
}

const AssessmentStatsRef = builder.objectRef<AssessmentStats>('AssessmentStats').implement({
  fields: (t) => ({
    assessment: t.field({ type: Assessment, resolve: (s) => s.assessment }),
    average: t.exposeFloat('average', { nullable: true, description: 'Mean score as a percentage of the maximum.' }),
    median: t.exposeFloat('median', { nullable: true, description: 'Median score as a percentage of the maximum.' }),
    graded: t.exposeInt('graded', { description: 'Grades recorded.' }),
  }),
});

const SessionStatsRef = builder.objectRef<SessionStats>('SessionAttendanceStats').implement({
  fields: (t) => ({
    session: t.field({ type: ClassSession, resolve: (s) => s.session }),
    attended: t.exposeInt('attended', { description: 'Students present or late.' }),
    rate: t.exposeFloat('rate', { nullable: true, description: 'Attended / enrolled, as a percentage.' }),
  }),
});

export const CourseStats = builder.objectRef<CourseStatsShape>('CourseStats').implement({
  description: 'Class statistics for staff: standings, assessments and attendance (percentages 0..100).',
  fields: (t) => ({
    id: t.id({ description: 'The course id (one CourseStats per course).', resolve: (s) => s.courseId }),
    classAverage: t.exposeFloat('classAverage', {
      nullable: true,
      description: 'Mean of the standings of the students with a grade.',
    }),
    assessments: t.field({ type: [AssessmentStatsRef], resolve: (s) => s.assessments }),
    sessions: t.field({
      type: [SessionStatsRef],
      description: 'Sessions that have started and were not cancelled.',
      resolve: (s) => s.sessions,
    }),
    attendanceRate: t.exposeFloat('attendanceRate', {
      nullable: true,
      description: 'Present or late over every (started session × enrolled student).',
    }),
  }),
});

builder.objectFields(Course, (t) => ({
  stats: t.field({
    type: CourseStats,
    nullable: true,
    description: 'Staff only (null with FORBIDDEN for students).',
    authScopes: (course) => ({ courseStaff: course.id }),
    resolve: (course, _args, ctx) => loadCourseStats(ctx.db, course.id),
  }),
}));

/**
 * statsChanged: every grade, attendance and course-structure change of a course moves its
 * statistics. Bursts coalesce (STATS_COALESCE_MS) and the statistics are computed once per
 * (coalesced) event for every subscriber of this instance, whatever their number. Derived: not in
 * `updates`, whose grade, attendance and course events tell a polling client to refetch `stats`.
 */
defineLiveTopic({
  field: 'statsChanged',
  type: 'CourseStatsEvent',
  description: "A course's class statistics moved (staff only). Bursts of changes arrive as one event.",
  courseArgument: 'required',
  derived: true,
  policy: {
    name: 'stats',
    sources: ['grade', 'attendance', 'course'],
    audience: 'staff',
    coalesceMs: (windows) => windows.statsCoalesceMs,
  },
  fields: (t) => ({
    courseId: t.id({ nullable: true, resolve: (m) => eventOf(m)?.courseId ?? null }),
    changes: t.int({
      description: 'Changes coalesced into this event.',
      resolve: (m) => (m.kind === 'event' ? m.batch.length : 0),
    }),
    stats: t.field({
      type: CourseStats,
      nullable: true,
      resolve: (m, _args, ctx) => {
        const e = eventOf(m);
        const courseId = e?.courseId;
        return courseId ? memo(e, 'stats', () => loadCourseStats(ctx.db, courseId)) : null;
      },
    }),
  }),
});
