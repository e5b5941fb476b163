import { and, asc, count, eq, inArray } from 'drizzle-orm';
import { courses, enrolments, teachingAssignments, users } from '../../db/schema';
import { audit } from '../audit';
import { builder } from '../builder';
import type { Context } from '../context';
import { badInput, forbidden, notFound } from '../errors';
import { groupBy } from '../lookup';
import { parseId, text } from '../validate';
import { User } from './users';

export type CourseRow = typeof courses.$inferSelect;

export const Course = builder.loadableObject('Course', {
  load: async (ids: string[], ctx) => ctx.db.select().from(courses).where(inArray(courses.id, ids)),
  sort: (course) => course.id,
  // Defence in depth: whatever path returns a course, only its members (and admins) see it.
  authScopes: (course) => ({ courseMember: course.id }),
  fields: (t) => ({
    id: t.exposeID('id'),
    code: t.exposeString('code'),
    title: t.exposeString('title'),
    viewerCanManage: t.boolean({
      description: "True for the course's instructors and for admins.",
      resolve: (course, _args, ctx) => ctx.access.isStaff(course.id),
    }),
    instructors: t.loadableGroup({
      type: User,
      load: (courseIds: string[], ctx) =>
        ctx.db
          .select({ user: users, courseId: teachingAssignments.courseId })
          .from(teachingAssignments)
          .innerJoin(users, eq(users.id, teachingAssignments.instructorId))
          .where(inArray(teachingAssignments.courseId, courseIds))
          .orderBy(asc(users.name))
          .then((rows) => rows.map((r) => ({ ...r.user, courseId: r.courseId }))),
      group: groupBy('courseId'),
      resolve: (course) => course.id,
    }),
    students: t.loadableGroup({
      type: User,
      nullable: true,
      description: 'Enrolled students, by name. Staff only (null with a FORBIDDEN error for others).',
      authScopes: (course) => ({ courseStaff: course.id }),
      load: (courseIds: string[], ctx) =>
        ctx.db
          .select({ user: users, courseId: enrolments.courseId })
          .from(enrolments)
          .innerJoin(users, eq(users.id, enrolments.studentId))
          .where(inArray(enrolments.courseId, courseIds))
          .orderBy(asc(users.name))
          .then((rows) => rows.map((r) => ({ ...r.user, courseId: r.courseId }))),
      group: groupBy('courseId'),
      resolve: (course) => course.id,
    }),
    studentCount: t.loadable({
      type: 'Int',
      load: async (courseIds: string[], ctx) => {
        const rows = await ctx.db
          .select({ courseId: enrolments.courseId, n: count() })
          .from(enrolments)
          .where(inArray(enrolments.courseId, courseIds))
          .groupBy(enrolments.courseId);
        const byCourse = new Map(rows.map((r) => [r.courseId, r.n]));
        return courseIds.map((id) => byCourse.get(id) ?? 0);
      },
      resolve: (course) => course.id,
    }),
  }),
});

/** Resolves a course id argument, refusing malformed, unknown and foreign courses distinctly. */
export async function requireCourse(
  ctx: Context,
  rawId: string,
  need: 'member' | 'staff' = 'member',
  field = 'courseId',
): Promise<CourseRow> {
  const id = parseId(rawId, field);
  const [course] = await ctx.db.select().from(courses).where(eq(courses.id, id));
  if (!course) throw notFound('Course');
  const allowed = need === 'staff' ? await ctx.access.isStaff(id) : await ctx.access.isMember(id);
  if (!allowed)
    throw forbidden(
      need === 'staff' ? 'Only the course instructors can do that' : 'You are not a member of this course',
    );
  return course;
}

builder.queryFields((t) => ({
  courses: t.field({
    type: [Course],
    description: "The caller's courses (every course for an admin), by code.",
    authScopes: { signedIn: true },
    resolve: async (_root, _args, ctx) => {
      const ids = await ctx.access.courseIds();
      if (ids?.length === 0) return [];
      return ctx.db
        .select()
        .from(courses)
        .where(ids ? inArray(courses.id, ids) : undefined)
        .orderBy(asc(courses.code));
    },
  }),
  course: t.field({
    type: Course,
    nullable: true,
    authScopes: { signedIn: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, args, ctx) => requireCourse(ctx, args.id, 'member', 'id'),
  }),
}));

async function requireUserWithRole(ctx: Context, rawId: string, field: string, role: 'STUDENT' | 'INSTRUCTOR') {
  const id = parseId(rawId, field);
  const [user] = await ctx.db.select().from(users).where(eq(users.id, id));
  if (!user) throw notFound('User');
  if (user.role !== role)
    throw badInput(`That user is not ${role === 'STUDENT' ? 'a student' : 'an instructor'}`, field);
  return user;
}

builder.mutationFields((t) => ({
  createCourse: t.field({
    type: Course,
    authScopes: { admin: true },
    args: { code: t.arg.string({ required: true }), title: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const [course] = await ctx.db
        .insert(courses)
        .values({
          code: text(args.code, 'code', { max: 32 }).toUpperCase(),
          title: text(args.title, 'title', { max: 200 }),
        })
        .returning();
      return course;
    },
  }),
  enrolStudent: t.field({
    type: Course,
    authScopes: { admin: true },
    args: { courseId: t.arg.id({ required: true }), studentId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const course = await requireCourse(ctx, args.courseId);
      const student = await requireUserWithRole(ctx, args.studentId, 'studentId', 'STUDENT');
      await ctx.db.transaction(async (tx) => {
        const added = await tx
          .insert(enrolments)
          .values({ courseId: course.id, studentId: student.id })
          .onConflictDoNothing()
          .returning();
        if (added.length)
          await audit(tx, {
            actorId: ctx.viewer!.id,
            action: 'STUDENT_ENROLLED',
            targetUserId: student.id,
            courseId: course.id,
          });
      });
      return course;
    },
  }),
  unenrolStudent: t.field({
    type: Course,
    authScopes: { admin: true },
    args: { courseId: t.arg.id({ required: true }), studentId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const course = await requireCourse(ctx, args.courseId);
      const studentId = parseId(args.studentId, 'studentId');
      await ctx.db.transaction(async (tx) => {
        const removed = await tx
          .delete(enrolments)
          .where(and(eq(enrolments.courseId, course.id), eq(enrolments.studentId, studentId)))
          .returning();
        if (removed.length)
          await audit(tx, {
            actorId: ctx.viewer!.id,
            action: 'STUDENT_UNENROLLED',
            targetUserId: studentId,
            courseId: course.id,
          });
      });
      return course;
    },
  }),
  updateCourse: t.field({
    type: Course,
    description: "Renames a course (code, title); omitted arguments stay. The course's staff and admins.",
    args: {
      id: t.arg.id({ required: true }),
      code: t.arg.string({ required: false }),
      title: t.arg.string({ required: false }),
    },
    authScopes: (_root, args) => ({ courseStaff: parseId(args.id, 'id') }),
    resolve: async (_root, args, ctx) => {
      const course = await requireCourse(ctx, args.id, 'staff', 'id');
      const changes: Partial<CourseRow> = {};
      if (args.code != null) changes.code = text(args.code, 'code', { max: 32 }).toUpperCase();
      if (args.title != null) changes.title = text(args.title, 'title', { max: 200 });
      if (Object.keys(changes).length === 0) return course;
      const [row] = await ctx.db.update(courses).set(changes).where(eq(courses.id, course.id)).returning();
      if (!row) throw notFound('Course');
      return row;
    },
  }),
  removeInstructor: t.field({
    type: Course,
    description: 'Takes an instructor off a course; they get that event (courseChanged), then nothing more of it.',
    authScopes: { admin: true },
    args: { courseId: t.arg.id({ required: true }), instructorId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const course = await requireCourse(ctx, args.courseId);
      const instructorId = parseId(args.instructorId, 'instructorId');
      await ctx.db.transaction(async (tx) => {
        const removed = await tx
          .delete(teachingAssignments)
          .where(and(eq(teachingAssignments.courseId, course.id), eq(teachingAssignments.instructorId, instructorId)))
          .returning();
        if (removed.length === 0) throw badInput('That user does not teach this course', 'instructorId');
        await audit(tx, {
          actorId: ctx.viewer!.id,
          action: 'INSTRUCTOR_REMOVED',
          targetUserId: instructorId,
          courseId: course.id,
        });
      });
      return course;
    },
  }),
  assignInstructor: t.field({
    type: Course,
    authScopes: { admin: true },
    args: { courseId: t.arg.id({ required: true }), instructorId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const course = await requireCourse(ctx, args.courseId);
      const instructor = await requireUserWithRole(ctx, args.instructorId, 'instructorId', 'INSTRUCTOR');
      await ctx.db.transaction(async (tx) => {
        const added = await tx
          .insert(teachingAssignments)
          .values({ courseId: course.id, instructorId: instructor.id })
          .onConflictDoNothing()
          .returning();
        if (added.length)
          await audit(tx, {
            actorId: ctx.viewer!.id,
            action: 'INSTRUCTOR_ASSIGNED',
            targetUserId: instructor.id,
            courseId: course.id,
          });
      });
      return course;
    },
  }),
}));
