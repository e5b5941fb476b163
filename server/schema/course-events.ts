import { eq } from 'drizzle-orm';
import { assessments, classSessions, courses, users } from '../../db/schema';
import { builder } from '../builder';
import { memo } from '../live/memo';
import { ClassSession } from './attendance';
import { Course } from './courses';
import { Assessment } from './grades';
import { defineLiveTopic, entityRow, eventOf } from './live-topic';
import { User } from './users';

const CourseChange = builder.enumType('CourseChange', {
  description: 'What part of a course changed.',
  values: ['ASSESSMENT', 'SESSION', 'COURSE', 'ENROLMENT', 'TEACHING'] as const,
});
type Kind = 'assessment' | 'session' | 'course' | 'enrolment' | 'teaching';
const kindOf = (data: Record<string, unknown>) => data.kind as Kind;

const first = <T>(rows: T[]) => rows[0] ?? null;

/**
 * courseChanged: a course's structure (assessments, sessions, the course itself) and membership
 * (enrolments, teaching assignments). Enrolments reach the course's staff and the student
 * concerned only — classmates do not learn who joined or left; everything else reaches every member.
 * A viewer taken out of a course gets that event, then nothing more of the course.
 */
defineLiveTopic({
  field: 'courseChanged',
  type: 'CourseEvent',
  description:
    "A course's structure or membership changed: an assessment, a session, the course itself, an enrolment or a teaching assignment. Without `courseId`: every course of yours, including one you just joined or left.",
  policy: {
    name: 'course',
    sources: ['course'],
    audience: (event) => (kindOf(event.data) === 'enrolment' ? 'staffAndConcerned' : 'members'),
  },
  fields: (t) => ({
    courseId: t.id({ nullable: true, resolve: (m) => eventOf(m)?.courseId ?? null }),
    change: t.field({
      type: CourseChange,
      nullable: true,
      resolve: (m) => {
        const e = eventOf(m);
        return e ? (kindOf(e.data).toUpperCase() as 'ASSESSMENT') : null;
      },
    }),
    entityId: t.id({
      nullable: true,
      description: 'The id of what changed: the assessment, session or course, or the user enrolled or assigned.',
      resolve: (m) => eventOf(m)?.entityId ?? null,
    }),
    course: t.field({
      type: Course,
      nullable: true,
      description: 'The course as it is now; null once you are no longer in it (or it was deleted).',
      resolve: async (m, _args, ctx) => {
        const e = eventOf(m);
        if (!e?.courseId || !(await ctx.access.isMember(e.courseId))) return null;
        const courseId = e.courseId;
        return memo(e, 'course', () => ctx.db.select().from(courses).where(eq(courses.id, courseId)).then(first));
      },
    }),
    assessment: t.field({
      type: Assessment,
      nullable: true,
      description: 'The assessment as it is now (null when it was deleted: remove `entityId`).',
      resolve: entityRow(assessments, (e) => kindOf(e.data) === 'assessment'),
    }),
    session: t.field({
      type: ClassSession,
      nullable: true,
      description: 'The session as it is now (null when it was deleted: remove `entityId`).',
      resolve: entityRow(classSessions, (e) => kindOf(e.data) === 'session'),
    }),
    user: t.field({
      type: User,
      nullable: true,
      description: 'The student enrolled or unenrolled, or the instructor assigned or removed.',
      resolve: (m, _args, ctx) => {
        const e = eventOf(m);
        const kind = e && kindOf(e.data);
        if (!e || (kind !== 'enrolment' && kind !== 'teaching')) return null;
        return memo(e, 'user', () => ctx.db.select().from(users).where(eq(users.id, e.entityId)).then(first));
      },
    }),
  }),
});
