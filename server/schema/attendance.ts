import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { attendanceRecords, classSessions } from '../../db/schema';
import { builder } from '../builder';
import type { Context } from '../context';
import { computeAttendanceTotals } from '../domain/attendance-totals';
import { badInput, notFound } from '../errors';
import { memo } from '../live/memo';
import { PER_STUDENT } from '../live/shared-execution';
import { groupBy, loadOrThrow } from '../lookup';
import { text } from '../validate';
import { Course, requireCourse } from './courses';
import { requireEnrolled } from './grades';
import { defineLiveTopic, entityRow, eventOf } from './live-topic';
import { ownStudentKey, type StudentKey, splitKeys, studentKey, visibleStudentKeys } from './student-keys';
import { User } from './users';

export const AttendanceStatusEnum = builder.enumType('AttendanceStatus', {
  values: ['PRESENT', 'LATE', 'ABSENT', 'EXCUSED'] as const,
});

export const ClassSession = builder.loadableObject('ClassSession', {
  load: (ids: string[], ctx) => ctx.db.select().from(classSessions).where(inArray(classSessions.id, ids)),
  sort: (s) => s.id,
  authScopes: (s) => ({ courseMember: s.courseId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    startsAt: t.expose('startsAt', { type: 'DateTime' }),
    cancelledAt: t.expose('cancelledAt', {
      type: 'DateTime',
      nullable: true,
      description: 'When the session was cancelled; cancelled sessions do not count towards attendance.',
    }),
    course: t.field({ type: Course, resolve: (s) => s.courseId }),
  }),
});

export const AttendanceRecord = builder.loadableObject('AttendanceRecord', {
  load: (ids: string[], ctx) => ctx.db.select().from(attendanceRecords).where(inArray(attendanceRecords.id, ids)),
  sort: (r) => r.id,
  authScopes: (r) => ({ courseStaff: r.courseId, self: r.studentId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.field({ type: AttendanceStatusEnum, resolve: (r) => r.status }),
    checkedInAt: t.expose('checkedInAt', { type: 'DateTime', nullable: true }),
    checkedOutAt: t.expose('checkedOutAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    student: t.field({ type: User, resolve: (r) => r.studentId }),
    session: t.field({ type: ClassSession, resolve: (r) => r.sessionId }),
  }),
});

/** Attendance totals for many (course, student) pairs in two queries. */
export async function loadAttendanceTotals(db: Database, keys: StudentKey[]) {
  const { pairs, courseIds, studentIds } = splitKeys(keys);
  const [sessionCounts, records] = await Promise.all([
    db
      .select({ courseId: classSessions.courseId, n: sql<number>`count(*)::int` })
      .from(classSessions)
      .where(
        and(
          inArray(classSessions.courseId, courseIds),
          sql`${classSessions.startsAt} <= now()`,
          isNull(classSessions.cancelledAt),
        ),
      )
      .groupBy(classSessions.courseId),
    db
      .select({
        courseId: attendanceRecords.courseId,
        studentId: attendanceRecords.studentId,
        status: attendanceRecords.status,
      })
      .from(attendanceRecords)
      .where(and(inArray(attendanceRecords.courseId, courseIds), inArray(attendanceRecords.studentId, studentIds))),
  ]);
  return pairs.map(([courseId, studentId]) => ({
    id: studentKey(courseId, studentId),
    courseId,
    studentId,
    ...computeAttendanceTotals(
      records.filter((r) => r.courseId === courseId && r.studentId === studentId).map((r) => r.status),
      sessionCounts.find((c) => c.courseId === courseId)?.n ?? 0,
    ),
  }));
}

export const AttendanceTotals = builder.loadableObject('AttendanceTotals', {
  description: "A student's attendance in a course, counted by status.",
  load: (keys: StudentKey[], ctx) => loadAttendanceTotals(ctx.db, keys),
  sort: (s) => s.id,
  authScopes: (s) => ({ courseStaff: s.courseId, self: s.studentId }),
  fields: (t) => ({
    id: t.exposeID('id', { description: '"<courseId>:<studentId>"' }),
    course: t.field({ type: Course, resolve: (s) => s.courseId }),
    student: t.field({ type: User, resolve: (s) => s.studentId }),
    present: t.exposeInt('present'),
    late: t.exposeInt('late'),
    absent: t.exposeInt('absent'),
    excused: t.exposeInt('excused'),
    recorded: t.exposeInt('recorded', { description: 'Records kept for this student.' }),
    sessions: t.exposeInt('sessions', { description: 'Sessions of the course that have started.' }),
  }),
});

builder.objectFields(ClassSession, (t) => ({
  records: t.loadableGroup({
    type: AttendanceRecord,
    description: 'Staff see every record; a student sees only their own.',
    extensions: PER_STUDENT,
    load: async (sessionIds: string[], ctx) => {
      const own = ctx.viewer?.role === 'STUDENT' ? eq(attendanceRecords.studentId, ctx.viewer.id) : undefined;
      const rows = await ctx.db
        .select()
        .from(attendanceRecords)
        .where(and(inArray(attendanceRecords.sessionId, sessionIds), own));
      const allowed = await Promise.all(
        rows.map(async (r) => r.studentId === ctx.viewer?.id || (await ctx.access.isStaff(r.courseId))),
      );
      return rows.filter((_, i) => allowed[i]);
    },
    group: groupBy('sessionId'),
    resolve: (s) => s.id,
  }),
  myRecord: t.loadable({
    type: AttendanceRecord,
    nullable: true,
    extensions: PER_STUDENT,
    load: async (sessionIds: string[], ctx) => {
      if (!ctx.viewer) return sessionIds.map(() => null);
      const rows = await ctx.db
        .select()
        .from(attendanceRecords)
        .where(and(inArray(attendanceRecords.sessionId, sessionIds), eq(attendanceRecords.studentId, ctx.viewer.id)));
      return sessionIds.map((id) => rows.find((r) => r.sessionId === id) ?? null);
    },
    resolve: (s) => s.id,
  }),
}));

builder.objectFields(AttendanceRecord, (t) => ({
  totals: t.field({
    type: AttendanceTotals,
    description: "The student's attendance totals in the course, as they are after this record.",
    resolve: (r) => studentKey(r.courseId, r.studentId),
  }),
}));

builder.objectFields(Course, (t) => ({
  sessions: t.loadableGroup({
    type: ClassSession,
    load: (courseIds: string[], ctx) =>
      ctx.db
        .select()
        .from(classSessions)
        .where(inArray(classSessions.courseId, courseIds))
        .orderBy(asc(classSessions.startsAt), asc(classSessions.id)),
    group: groupBy('courseId'),
    resolve: (course) => course.id,
  }),
  attendanceTotals: t.field({
    type: [AttendanceTotals],
    description: "Staff: every enrolled student's totals; a student: only their own.",
    extensions: PER_STUDENT,
    resolve: (course, _args, ctx) => visibleStudentKeys(ctx, course.id),
  }),
  myAttendanceTotals: t.field({
    type: AttendanceTotals,
    nullable: true,
    extensions: PER_STUDENT,
    resolve: (course, _args, ctx) => ownStudentKey(ctx, course.id),
  }),
}));

builder.mutationFields((t) => ({
  recordAttendance: t.field({
    type: AttendanceRecord,
    description: 'Creates or updates one student’s record for one session; PRESENT/LATE stamp the check-in time.',
    args: {
      sessionId: t.arg.id({ required: true }),
      studentId: t.arg.id({ required: true }),
      status: t.arg({ type: AttendanceStatusEnum, required: true }),
    },
    authScopes: async (_root, args, ctx) => ({
      courseStaff: (await loadOrThrow(ClassSession, ctx, args.sessionId, 'sessionId', 'Class session')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const session = await loadOrThrow(ClassSession, ctx, args.sessionId, 'sessionId', 'Class session');
      const studentId = await requireEnrolled(ctx, session.courseId, args.studentId);
      const attending = args.status === 'PRESENT' || args.status === 'LATE';
      const checkedInAt = attending ? sql`coalesce(${attendanceRecords.checkedInAt}, now())` : null;
      const [record] = await ctx.db
        .insert(attendanceRecords)
        .values({
          sessionId: session.id,
          courseId: session.courseId,
          studentId,
          status: args.status,
          checkedInAt: attending ? new Date() : null,
          updatedById: ctx.viewer!.id,
        })
        .onConflictDoUpdate({
          target: [attendanceRecords.sessionId, attendanceRecords.studentId],
          set: { status: args.status, checkedInAt, updatedById: ctx.viewer!.id },
        })
        .returning();
      return record;
    },
  }),
  markAllPresent: t.field({
    type: ClassSession,
    description:
      'Marks PRESENT, checked in now, every enrolled student who has no record for this session yet; records ' +
      'already taken (late, absent, excused) stay as they are. One record, and one live event, per student ' +
      'marked; a second call marks nobody. Then one recordAttendance per exception.',
    args: { sessionId: t.arg.id({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseStaff: (await loadOrThrow(ClassSession, ctx, args.sessionId, 'sessionId', 'Class session')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const session = await loadOrThrow(ClassSession, ctx, args.sessionId, 'sessionId', 'Class session');
      // One statement: the row trigger writes one outbox event per inserted record, the statement
      // trigger one wake-up; a record someone writes meanwhile wins (do nothing), as it was taken by hand.
      await ctx.db.execute(sql`
        insert into attendance_records (session_id, course_id, student_id, status, checked_in_at, updated_by_id)
        select ${session.id}, e.course_id, e.student_id, 'PRESENT', now(), ${ctx.viewer!.id}
        from enrolments e where e.course_id = ${session.courseId}
        on conflict (session_id, student_id) do nothing`);
      return session;
    },
  }),
  createClassSession: t.field({
    type: ClassSession,
    args: {
      courseId: t.arg.id({ required: true }),
      title: t.arg.string({ required: true }),
      startsAt: t.arg({ type: 'DateTime', required: true }),
    },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const course = await requireCourse(ctx, args.courseId, 'staff');
      const [row] = await ctx.db
        .insert(classSessions)
        .values({ courseId: course.id, title: text(args.title, 'title', { max: 200 }), startsAt: args.startsAt })
        .returning();
      return row;
    },
  }),
}));

defineLiveTopic({
  field: 'attendanceChanged',
  type: 'AttendanceEvent',
  description: "An attendance record was created or changed, with the student's new totals.",
  policy: { name: 'attendance', sources: ['attendance'], audience: 'staffAndSubject' },
  fields: (t) => ({
    record: t.field({
      type: AttendanceRecord,
      nullable: true,
      resolve: entityRow(attendanceRecords),
    }),
    totals: t.field({
      type: AttendanceTotals,
      nullable: true,
      resolve: async (m, _args, ctx) => {
        const e = eventOf(m);
        if (!e?.courseId || !e.audienceUserId) return null;
        const key = studentKey(e.courseId, e.audienceUserId);
        return memo(e, 'totals', async () => (await loadAttendanceTotals(ctx.db, [key]))[0]);
      },
    }),
  }),
});

const sessionStaff = async (args: { id: string }, ctx: Context) => ({
  courseStaff: (await loadOrThrow(ClassSession, ctx, args.id, 'id', 'Class session')).courseId,
});

builder.mutationFields((t) => ({
  updateClassSession: t.field({
    type: ClassSession,
    description: 'Renames or reschedules a session; its students see the new time live, with a notification.',
    args: {
      id: t.arg.id({ required: true }),
      title: t.arg.string({ required: false }),
      startsAt: t.arg({ type: 'DateTime', required: false }),
    },
    authScopes: (_root, args, ctx) => sessionStaff(args, ctx),
    resolve: async (_root, args, ctx) => {
      const session = await loadOrThrow(ClassSession, ctx, args.id, 'id', 'Class session');
      if (session.cancelledAt) throw badInput('This session was cancelled', 'id');
      const changes: Partial<typeof classSessions.$inferInsert> = {};
      if (args.title != null) changes.title = text(args.title, 'title', { max: 200 });
      if (args.startsAt != null) changes.startsAt = args.startsAt;
      if (Object.keys(changes).length === 0) return session;
      const [row] = await ctx.db.update(classSessions).set(changes).where(eq(classSessions.id, session.id)).returning();
      if (!row) throw notFound('Class session');
      return row;
    },
  }),
  cancelClassSession: t.field({
    type: ClassSession,
    description: 'Cancels a session (kept, with its records, but no longer counted); its students are notified.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: (_root, args, ctx) => sessionStaff(args, ctx),
    resolve: async (_root, args, ctx) => {
      const session = await loadOrThrow(ClassSession, ctx, args.id, 'id', 'Class session');
      const [row] = await ctx.db
        .update(classSessions)
        .set({ cancelledAt: new Date() })
        .where(and(eq(classSessions.id, session.id), isNull(classSessions.cancelledAt)))
        .returning();
      return row ?? session;
    },
  }),
}));
