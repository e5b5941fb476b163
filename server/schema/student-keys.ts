import { eq } from 'drizzle-orm';
import { enrolments } from '../../db/schema';
import type { Context } from '../context';

/**
 * Per-student figures of a course (standing, attendance totals) are keyed "<courseId>:<studentId>":
 * the key is also their GraphQL id, so the client cache updates them in place.
 */
export type StudentKey = `${string}:${string}`;
export const studentKey = (courseId: string, studentId: string): StudentKey => `${courseId}:${studentId}`;

/** The pairs behind a batch of keys, and the distinct courses and students to query for. */
export function splitKeys(keys: readonly StudentKey[]) {
  const pairs = keys.map((k) => k.split(':') as [string, string]);
  return { pairs, courseIds: [...new Set(pairs.map(([c]) => c))], studentIds: [...new Set(pairs.map(([, s]) => s))] };
}

/** Staff: every enrolled student of the course; anyone else: only themself. */
export async function visibleStudentKeys(ctx: Context, courseId: string): Promise<StudentKey[]> {
  if (!(await ctx.access.isStaff(courseId))) return ctx.viewer ? [studentKey(courseId, ctx.viewer.id)] : [];
  const rows = await ctx.db
    .select({ studentId: enrolments.studentId })
    .from(enrolments)
    .where(eq(enrolments.courseId, courseId));
  return rows.map((r) => studentKey(courseId, r.studentId));
}

/** The viewer's own key when they are a student of the course; null for staff. */
export async function ownStudentKey(ctx: Context, courseId: string): Promise<StudentKey | null> {
  return (await ctx.access.roleIn(courseId)) === 'STUDENT' && ctx.viewer ? studentKey(courseId, ctx.viewer.id) : null;
}
