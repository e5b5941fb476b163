import type postgres from 'postgres';
import type { OutboxEntry } from './db';

/**
 * The visibility rules of PRODUCT.md, written again independently of the server: who may see an
 * outbox row. Grades and attendance: staff of the course, or the student they are about; polls and
 * content: members of the course (and admins); a course's structure: its members, and whoever a
 * change names even once it took them out; an enrolment: staff and the student concerned only;
 * notifications: their user alone.
 */
export type Persona = { id: string; role: 'STUDENT' | 'INSTRUCTOR' | 'ADMIN' };

export async function loadMemberships(sql: postgres.Sql) {
  const rows = await sql<{ user_id: string; course_id: string; role: 'STUDENT' | 'INSTRUCTOR' }[]>`
    select student_id as user_id, course_id, 'STUDENT' as role from enrolments
    union all select instructor_id, course_id, 'INSTRUCTOR' from teaching_assignments`;
  const map = new Map<string, Map<string, 'STUDENT' | 'INSTRUCTOR'>>();
  for (const r of rows) {
    if (!map.has(r.user_id)) map.set(r.user_id, new Map());
    map.get(r.user_id)!.set(r.course_id, r.role);
  }
  return map;
}

export type Memberships = Awaited<ReturnType<typeof loadMemberships>>;

export function maySee(
  row: Pick<OutboxEntry, 'topic' | 'course_id' | 'audience_user_id'> & { data?: Record<string, unknown> },
  viewer: Persona,
  memberships: Memberships,
): boolean {
  const role =
    viewer.role === 'ADMIN' ? 'ADMIN' : row.course_id ? memberships.get(viewer.id)?.get(row.course_id) : undefined;
  switch (row.topic) {
    case 'grade':
    case 'attendance':
      return role === 'ADMIN' || role === 'INSTRUCTOR' || (role === 'STUDENT' && row.audience_user_id === viewer.id);
    case 'poll':
    case 'content':
      return role !== undefined;
    case 'course':
      if (row.data?.kind === 'enrolment')
        return role === 'ADMIN' || role === 'INSTRUCTOR' || row.audience_user_id === viewer.id;
      return role !== undefined || (row.audience_user_id !== null && row.audience_user_id === viewer.id);
    case 'notification':
      return row.audience_user_id === viewer.id;
    case 'message': {
      // A direct conversation's participants (and admins); a channel's members.
      const participants = row.data?.participants;
      if (!Array.isArray(participants)) return role !== undefined;
      return role === 'ADMIN' || (role !== undefined && participants.includes(viewer.id));
    }
    default:
      return false;
  }
}

/** What one subscription should deliver: its topic, optionally one course, visible to the viewer. */
export function expectedFor(
  rows: OutboxEntry[],
  viewer: Persona,
  memberships: Memberships,
  filter: { topic: string; courseId?: string },
): OutboxEntry[] {
  return rows.filter(
    (r) =>
      r.topic === filter.topic &&
      (!filter.courseId || r.course_id === filter.courseId) &&
      maySee(r, viewer, memberships),
  );
}
