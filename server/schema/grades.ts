import DataLoader from 'dataloader';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { assessments, enrolments, grades, users } from '../../db/schema';
import { asActor } from '../audit';
import { builder } from '../builder';
import type { Context } from '../context';
import { computeStanding } from '../domain/standing';
import { badInput, forbidden, notFound } from '../errors';
import { memo } from '../live/memo';
import { PER_STUDENT } from '../live/shared-execution';
import { groupBy, loadOrThrow } from '../lookup';
import { finiteNumber, parseId, text } from '../validate';
import { Course, requireCourse } from './courses';
import { defineLiveTopic, eventOf } from './live-topic';
import { ownStudentKey, type StudentKey, splitKeys, studentKey, visibleStudentKeys } from './student-keys';
import { User } from './users';

/** A grade row; live events load its student and assessment with it, in one query. */
type GradeRow = typeof grades.$inferSelect & {
  related?: { student: typeof users.$inferSelect; assessment: typeof assessments.$inferSelect };
};

export const AssessmentKind = builder.enumType('AssessmentKind', {
  values: ['EXAM', 'QUIZ', 'ASSIGNMENT', 'MERIT'] as const,
});

/** Keeps only the grades this viewer may see: staff see all, everyone else only their own. */
async function visibleGrades(ctx: Context, rows: GradeRow[]): Promise<GradeRow[]> {
  const viewer = ctx.viewer;
  if (!viewer) return [];
  const visible = await Promise.all(
    rows.map(async (g) => g.studentId === viewer.id || (await ctx.access.isStaff(g.courseId))),
  );
  return rows.filter((_, i) => visible[i]);
}

export const Assessment = builder.loadableObject('Assessment', {
  load: (ids: string[], ctx) => ctx.db.select().from(assessments).where(inArray(assessments.id, ids)),
  sort: (a) => a.id,
  authScopes: (a) => ({ courseMember: a.courseId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    kind: t.field({ type: AssessmentKind, resolve: (a) => a.kind }),
    maxScore: t.exposeFloat('maxScore'),
    weight: t.exposeFloat('weight'),
    dueAt: t.expose('dueAt', { type: 'DateTime', nullable: true }),
    course: t.field({ type: Course, resolve: (a) => a.courseId }),
  }),
});

export const Grade = builder.loadableObject('Grade', {
  load: (ids: string[], ctx): Promise<GradeRow[]> => ctx.db.select().from(grades).where(inArray(grades.id, ids)),
  sort: (g) => g.id,
  authScopes: (g) => ({ courseStaff: g.courseId, self: g.studentId }),
  fields: (t) => ({
    id: t.exposeID('id'),
    score: t.exposeFloat('score'),
    note: t.exposeString('note', { nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    student: t.field({ type: User, resolve: (g) => g.related?.student ?? g.studentId }),
    assessment: t.field({ type: Assessment, resolve: (g) => g.related?.assessment ?? g.assessmentId }),
    updatedBy: t.field({ type: User, nullable: true, resolve: (g) => g.updatedById }),
  }),
});

const prepareGradesWithRelations = (db: Database) =>
  db
    .select({ grade: grades, student: users, assessment: assessments })
    .from(grades)
    .innerJoin(users, eq(users.id, grades.studentId))
    .innerJoin(assessments, eq(assessments.id, grades.assessmentId))
    .where(sql`${grades.id} = any(${sql.placeholder('ids')}::uuid[])`)
    .prepare('grades_with_relations');

/**
 * Grades with their student and assessment, for live events: one prepared query for all the
 * events dispatched in the same tick (a busy relay publishes them in bursts), one loader per pool.
 */
const gradeLoaders = new WeakMap<Database, DataLoader<string, GradeRow | null>>();
function gradeLoader(db: Database) {
  let loader = gradeLoaders.get(db);
  if (!loader) {
    const query = prepareGradesWithRelations(db);
    loader = new DataLoader(
      async (ids: readonly string[]) => {
        const rows = await query.execute({ ids: [...ids] });
        const byId = new Map(
          rows.map((r) => [r.grade.id, { ...r.grade, related: { student: r.student, assessment: r.assessment } }]),
        );
        return ids.map((id) => byId.get(id) ?? null);
      },
      // Events are memoised per event object (live/memo.ts); a cache here would serve old rows to later events.
      { cache: false },
    );
    gradeLoaders.set(db, loader);
  }
  return loader;
}

/** One grade with its student and assessment (a live event re-reads all three, once for all its subscribers). */
export function loadGradeWithRelations(db: Database, id: string): Promise<GradeRow | null> {
  return gradeLoader(db).load(id);
}

/** Standings for many (course, student) pairs in two queries. */
export async function loadStandings(db: Database, keys: StudentKey[]) {
  const { pairs, courseIds, studentIds } = splitKeys(keys);
  const [allAssessments, allGrades] = await Promise.all([
    db.select().from(assessments).where(inArray(assessments.courseId, courseIds)),
    db
      .select()
      .from(grades)
      .where(and(inArray(grades.courseId, courseIds), inArray(grades.studentId, studentIds))),
  ]);
  return pairs.map(([courseId, studentId]) => ({
    id: studentKey(courseId, studentId),
    courseId,
    studentId,
    ...computeStanding({
      assessments: allAssessments.filter((a) => a.courseId === courseId),
      grades: allGrades.filter((g) => g.courseId === courseId && g.studentId === studentId),
    }),
  }));
}

export const Standing = builder.loadableObject('Standing', {
  description: "A student's weighted average in a course, derived from their grades.",
  load: (keys: StudentKey[], ctx) => loadStandings(ctx.db, keys),
  sort: (s) => s.id,
  authScopes: (s) => ({ courseStaff: s.courseId, self: s.studentId }),
  fields: (t) => ({
    id: t.exposeID('id', { description: '"<courseId>:<studentId>"' }),
    course: t.field({ type: Course, resolve: (s) => s.courseId }),
    student: t.field({ type: User, resolve: (s) => s.studentId }),
    average: t.exposeFloat('average', {
      nullable: true,
      description: 'Weighted percentage 0..100 over graded assessments; null when none is graded.',
    }),
    graded: t.exposeInt('graded'),
    total: t.exposeInt('total'),
  }),
});

builder.objectFields(Assessment, (t) => ({
  grades: t.loadableGroup({
    type: Grade,
    description: 'Staff see every grade; a student sees only their own.',
    extensions: PER_STUDENT,
    load: async (assessmentIds: string[], ctx) => {
      const own = ctx.viewer?.role === 'STUDENT' ? eq(grades.studentId, ctx.viewer.id) : undefined;
      const rows = await ctx.db
        .select()
        .from(grades)
        .where(and(inArray(grades.assessmentId, assessmentIds), own));
      return visibleGrades(ctx, rows);
    },
    group: groupBy('assessmentId'),
    resolve: (a) => a.id,
  }),
  myGrade: t.loadable({
    type: Grade,
    nullable: true,
    extensions: PER_STUDENT,
    load: async (assessmentIds: string[], ctx) => {
      if (!ctx.viewer) return assessmentIds.map(() => null);
      const rows = await ctx.db
        .select()
        .from(grades)
        .where(and(inArray(grades.assessmentId, assessmentIds), eq(grades.studentId, ctx.viewer.id)));
      return assessmentIds.map((id) => rows.find((g) => g.assessmentId === id) ?? null);
    },
    resolve: (a) => a.id,
  }),
}));

builder.objectFields(Grade, (t) => ({
  standing: t.field({
    type: Standing,
    description: "The student's standing in the course, as it is after this grade.",
    resolve: (g) => studentKey(g.courseId, g.studentId),
  }),
}));

builder.objectFields(Course, (t) => ({
  assessments: t.loadableGroup({
    type: Assessment,
    load: (courseIds: string[], ctx) =>
      ctx.db
        .select()
        .from(assessments)
        .where(inArray(assessments.courseId, courseIds))
        .orderBy(asc(assessments.createdAt), sql`${assessments.dueAt} asc nulls last`, asc(assessments.title)),
    group: groupBy('courseId'),
    resolve: (course) => course.id,
  }),
  myStanding: t.field({
    type: Standing,
    nullable: true,
    description: "The viewing student's own standing; null for staff.",
    extensions: PER_STUDENT,
    resolve: (course, _args, ctx) => ownStudentKey(ctx, course.id),
  }),
  standings: t.field({
    type: [Standing],
    description: "Staff: every enrolled student's standing; a student: only their own.",
    extensions: PER_STUDENT,
    resolve: (course, _args, ctx) => visibleStudentKeys(ctx, course.id),
  }),
}));

export async function requireEnrolled(ctx: Context, courseId: string, rawStudentId: string): Promise<string> {
  const studentId = parseId(rawStudentId, 'studentId');
  const [row] = await ctx.db
    .select()
    .from(enrolments)
    .where(and(eq(enrolments.courseId, courseId), eq(enrolments.studentId, studentId)));
  if (!row) throw badInput('That student is not enrolled in this course', 'studentId');
  return studentId;
}

builder.mutationFields((t) => ({
  recordGrade: t.field({
    type: Grade,
    description: 'Creates or updates the grade of one student for one assessment.',
    args: {
      assessmentId: t.arg.id({ required: true }),
      studentId: t.arg.id({ required: true }),
      score: t.arg.float({ required: true }),
      note: t.arg.string({ required: false }),
    },
    authScopes: async (_root, args, ctx) => ({
      courseStaff: (await loadOrThrow(Assessment, ctx, args.assessmentId, 'assessmentId', 'Assessment')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const assessment = await loadOrThrow(Assessment, ctx, args.assessmentId, 'assessmentId', 'Assessment');
      const studentId = await requireEnrolled(ctx, assessment.courseId, args.studentId);
      const score = finiteNumber(args.score, 'score', { min: 0, max: assessment.maxScore });
      const note = args.note == null ? null : text(args.note, 'note', { min: 0, max: 2000 }) || null;
      const values = {
        assessmentId: assessment.id,
        courseId: assessment.courseId,
        studentId,
        score,
        note,
        updatedById: ctx.viewer!.id,
      };
      const [grade] = await ctx.db
        .insert(grades)
        .values(values)
        .onConflictDoUpdate({
          target: [grades.assessmentId, grades.studentId],
          set: { score, note, updatedById: values.updatedById },
        })
        .returning();
      return grade;
    },
  }),
  deleteGrade: t.field({
    type: Grade,
    args: { id: t.arg.id({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseStaff: (await loadOrThrow(Grade, ctx, args.id, 'id', 'Grade')).courseId,
    }),
    resolve: async (_root, args, ctx) => {
      const grade = await loadOrThrow(Grade, ctx, args.id, 'id', 'Grade');
      const [deleted] = await ctx.db.transaction(async (tx) => {
        await asActor(tx, ctx.viewer!.id); // grade history records who deleted it
        return tx.delete(grades).where(eq(grades.id, grade.id)).returning();
      });
      if (!deleted) throw forbidden('That grade was already deleted');
      return deleted;
    },
  }),
  createAssessment: t.field({
    type: Assessment,
    args: {
      courseId: t.arg.id({ required: true }),
      title: t.arg.string({ required: true }),
      kind: t.arg({ type: AssessmentKind, required: true }),
      maxScore: t.arg.float({ required: true }),
      weight: t.arg.float({ required: false }),
      dueAt: t.arg({ type: 'DateTime', required: false }),
    },
    authScopes: { signedIn: true },
    resolve: async (_root, args, ctx) => {
      const course = await requireCourse(ctx, args.courseId, 'staff');
      const [row] = await ctx.db
        .insert(assessments)
        .values({
          courseId: course.id,
          title: text(args.title, 'title', { max: 200 }),
          kind: args.kind,
          maxScore: finiteNumber(args.maxScore, 'maxScore', { min: Number.MIN_VALUE, max: 1e6 }),
          weight: finiteNumber(args.weight ?? 1, 'weight', { min: 0, max: 1000 }),
          dueAt: args.dueAt ?? null,
        })
        .returning();
      return row;
    },
  }),
}));

defineLiveTopic({
  field: 'gradeChanged',
  type: 'GradeEvent',
  description: "A grade was recorded, changed or deleted, with the student's new standing.",
  policy: { name: 'grade', sources: ['grade'], audience: 'staffAndSubject' },
  fields: (t) => ({
    grade: t.field({
      type: Grade,
      nullable: true,
      description: 'Null only for RESYNC (or when the grade was deleted again before delivery).',
      resolve: async (m, _args, ctx) => {
        const e = eventOf(m);
        if (!e) return null;
        if (e.action === 'DELETED') {
          // A deleted grade cannot be re-read: its event carries what a subscriber needs to remove it.
          const d = e.data as { assessmentId: string; studentId: string; score: number; updatedAt: string };
          const at = new Date(d.updatedAt ?? e.occurredAt);
          return {
            id: e.entityId,
            assessmentId: d.assessmentId,
            courseId: e.courseId!,
            studentId: d.studentId,
            score: d.score,
            note: null,
            updatedById: null,
            createdAt: at,
            updatedAt: at,
          };
        }
        return memo(e, 'row', () => loadGradeWithRelations(ctx.db, e.entityId));
      },
    }),
    standing: t.field({
      type: Standing,
      nullable: true,
      resolve: async (m, _args, ctx) => {
        const e = eventOf(m);
        if (!e?.courseId || !e.audienceUserId) return null;
        const key = studentKey(e.courseId, e.audienceUserId);
        return memo(e, 'standing', async () => (await loadStandings(ctx.db, [key]))[0]);
      },
    }),
  }),
});

const assessmentStaff = async (args: { id: string }, ctx: Context) => ({
  courseStaff: (await loadOrThrow(Assessment, ctx, args.id, 'id', 'Assessment')).courseId,
});

builder.mutationFields((t) => ({
  updateAssessment: t.field({
    type: Assessment,
    description:
      'Changes an assessment; omitted arguments stay as they are. A new weight or maximum moves every standing of the course at once (courseChanged, with each standing).',
    args: {
      id: t.arg.id({ required: true }),
      title: t.arg.string({ required: false }),
      kind: t.arg({ type: AssessmentKind, required: false }),
      maxScore: t.arg.float({ required: false }),
      weight: t.arg.float({ required: false }),
      dueAt: t.arg({ type: 'DateTime', required: false, description: 'null clears the due date.' }),
    },
    authScopes: (_root, args, ctx) => assessmentStaff(args, ctx),
    resolve: async (_root, args, ctx) => {
      const assessment = await loadOrThrow(Assessment, ctx, args.id, 'id', 'Assessment');
      const changes: Partial<typeof assessments.$inferInsert> = {};
      if (args.title != null) changes.title = text(args.title, 'title', { max: 200 });
      if (args.kind != null) changes.kind = args.kind;
      if (args.maxScore != null)
        changes.maxScore = finiteNumber(args.maxScore, 'maxScore', { min: Number.MIN_VALUE, max: 1e6 });
      if (args.weight != null) changes.weight = finiteNumber(args.weight, 'weight', { min: 0, max: 1000 });
      if (args.dueAt !== undefined) changes.dueAt = args.dueAt;
      if (Object.keys(changes).length === 0) return assessment;
      // A maximum below a recorded score is refused by tg_assessments__check_max_score (BAD_USER_INPUT).
      const [row] = await ctx.db.update(assessments).set(changes).where(eq(assessments.id, assessment.id)).returning();
      if (!row) throw notFound('Assessment');
      return row;
    },
  }),
  deleteAssessment: t.field({
    type: Assessment,
    description: 'Deletes an assessment and its grades; every standing of the course moves at once.',
    args: { id: t.arg.id({ required: true }) },
    authScopes: (_root, args, ctx) => assessmentStaff(args, ctx),
    resolve: async (_root, args, ctx) => {
      const assessment = await loadOrThrow(Assessment, ctx, args.id, 'id', 'Assessment');
      const [row] = await ctx.db.delete(assessments).where(eq(assessments.id, assessment.id)).returning();
      if (!row) throw notFound('Assessment');
      return row;
    },
  }),
}));
