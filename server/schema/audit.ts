import { and, asc, desc, eq, lt, or } from 'drizzle-orm';
import { auditLog, gradeHistory } from '../../db/schema';
import { AUDIT_ACTIONS } from '../audit';
import { builder } from '../builder';
import { badInput } from '../errors';
import { loadOrThrow } from '../lookup';
import { pageSize } from '../pagination';
import { parseId } from '../validate';
import { Course } from './courses';
import { Assessment, Grade } from './grades';
import { PageInfo } from './scalars';
import { User } from './users';

type GradeChangeRow = typeof gradeHistory.$inferSelect;
type AuditRow = typeof auditLog.$inferSelect;

const GradeChangeAction = builder.enumType('GradeChangeAction', { values: ['CREATED', 'UPDATED', 'DELETED'] as const });

export const GradeChange = builder.objectRef<GradeChangeRow>('GradeChange').implement({
  description: 'One change of a grade: what it was, what it became, who changed it and when.',
  fields: (t) => ({
    id: t.id({ resolve: (c) => String(c.id) }),
    action: t.field({ type: GradeChangeAction, resolve: (c) => c.action as 'CREATED' | 'UPDATED' | 'DELETED' }),
    oldScore: t.exposeFloat('oldScore', { nullable: true }),
    newScore: t.exposeFloat('newScore', { nullable: true, description: 'Null when the grade was deleted.' }),
    oldNote: t.exposeString('oldNote', { nullable: true }),
    newNote: t.exposeString('newNote', { nullable: true }),
    changedBy: t.field({
      type: User,
      nullable: true,
      description: 'Null when unknown (a change made outside the API, or an account since removed).',
      resolve: (c) => c.changedById,
    }),
    changedAt: t.expose('changedAt', { type: 'DateTime' }),
  }),
});

/** The trail of one cell (assessment × student), oldest first: it spans a grade deleted and recorded again. */
const cellHistory = (ctx: { db: import('../../db/client').Database }, assessmentId: string, studentId: string) =>
  ctx.db
    .select()
    .from(gradeHistory)
    .where(and(eq(gradeHistory.assessmentId, assessmentId), eq(gradeHistory.studentId, studentId)))
    .orderBy(asc(gradeHistory.id));

builder.objectField(Grade, 'history', (t) =>
  t.field({
    type: [GradeChange],
    description: 'Every change of this cell (the assessment × the student), oldest first. Staff, and the student.',
    resolve: (g, _args, ctx) => cellHistory(ctx, g.assessmentId, g.studentId),
  }),
);

const AuditAction = builder.enumType('AuditAction', { values: AUDIT_ACTIONS });

const AuditEntry = builder.objectRef<AuditRow>('AuditEntry').implement({
  description: 'A privileged change: who did what to whom, and when.',
  fields: (t) => ({
    id: t.id({ resolve: (e) => String(e.id) }),
    at: t.expose('at', { type: 'DateTime' }),
    action: t.field({ type: AuditAction, resolve: (e) => e.action as (typeof AUDIT_ACTIONS)[number] }),
    actor: t.field({ type: User, nullable: true, resolve: (e) => e.actorId }),
    targetUser: t.field({ type: User, nullable: true, resolve: (e) => e.targetUserId }),
    course: t.field({ type: Course, nullable: true, resolve: (e) => e.courseId }),
    details: t.string({
      description: 'What changed, as JSON (never secrets).',
      resolve: (e) => JSON.stringify(e.details),
    }),
  }),
});

const AuditEntryConnection = builder
  .objectRef<{
    edges: { cursor: string; node: AuditRow }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  }>('AuditEntryConnection')
  .implement({
    fields: (t) => ({
      edges: t.field({
        type: [
          builder.objectRef<{ cursor: string; node: AuditRow }>('AuditEntryEdge').implement({
            fields: (e) => ({
              cursor: e.exposeString('cursor'),
              node: e.field({ type: AuditEntry, resolve: (edge) => edge.node }),
            }),
          }),
        ],
        resolve: (c) => c.edges,
      }),
      pageInfo: t.field({ type: PageInfo, resolve: (c) => c.pageInfo }),
    }),
  });

function auditCursor(raw: string): bigint {
  const decoded = Buffer.from(raw, 'base64url').toString();
  // An audit_log id: a Postgres bigint, so larger numbers are refused here, not overflowed there.
  if (!/^\d{1,19}$/.test(decoded) || BigInt(decoded) > 2n ** 63n - 1n)
    throw badInput('Malformed pagination cursor', 'after');
  return BigInt(decoded);
}

builder.queryFields((t) => ({
  gradeHistory: t.field({
    type: [GradeChange],
    description:
      'Every change of one grade cell (assessment × student), oldest first, deletions included: staff of the course, or the student.',
    args: { assessmentId: t.arg.id({ required: true }), studentId: t.arg.id({ required: true }) },
    authScopes: async (_root, args, ctx) => ({
      courseStaff: (await loadOrThrow(Assessment, ctx, args.assessmentId, 'assessmentId', 'Assessment')).courseId,
      self: parseId(args.studentId, 'studentId'),
    }),
    resolve: async (_root, args, ctx) => {
      const assessment = await loadOrThrow(Assessment, ctx, args.assessmentId, 'assessmentId', 'Assessment');
      const studentId = parseId(args.studentId, 'studentId');
      // A student sees their own trail only in a course they belong to.
      if (!(await ctx.access.isMember(assessment.courseId))) return [];
      return cellHistory(ctx, assessment.id, studentId);
    },
  }),
  auditLog: t.field({
    type: AuditEntryConnection,
    description: 'Admin: privileged changes, newest first; `userId` keeps those done by or to that user.',
    authScopes: { admin: true },
    args: {
      userId: t.arg.id({ required: false }),
      action: t.arg({ type: AuditAction, required: false }),
      first: t.arg.int({ required: false, description: 'Entries per page: 1 to 200 (default 50).' }),
      after: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const limit = pageSize(args.first, 50, 200);
      const userId = args.userId ? parseId(args.userId, 'userId') : null;
      const rows = await ctx.db
        .select()
        .from(auditLog)
        .where(
          and(
            userId ? or(eq(auditLog.actorId, userId), eq(auditLog.targetUserId, userId)) : undefined,
            args.action ? eq(auditLog.action, args.action) : undefined,
            args.after ? lt(auditLog.id, auditCursor(args.after)) : undefined,
          ),
        )
        .orderBy(desc(auditLog.id))
        .limit(limit + 1);
      const page = rows.slice(0, limit);
      const edges = page.map((node) => ({ cursor: Buffer.from(String(node.id)).toString('base64url'), node }));
      return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null } };
    },
  }),
}));
