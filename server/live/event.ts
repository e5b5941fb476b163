import type { Access, CourseRole } from '../auth/access';
import { type Cursor, formatCursor } from './cursor';

export type Topic = 'grade' | 'attendance' | 'poll' | 'content' | 'notification' | 'membership';
export type Action = 'CREATED' | 'UPDATED' | 'DELETED';

/** An outbox row as every instance sees it; published through the event target as JSON. */
export type LiveEvent = {
  cursor: string;
  /** The cursor of the event the relay published before this one: a mismatch reveals a gap. */
  prev: string | null;
  topic: Topic;
  action: Action;
  courseId: string | null;
  audienceUserId: string | null;
  entityId: string;
  data: Record<string, unknown>;
  occurredAt: string;
};

export type OutboxRow = {
  xid: string;
  id: string;
  topic: string;
  action: string;
  course_id: string | null;
  audience_user_id: string | null;
  entity_id: string;
  data: Record<string, unknown>;
  // A string when the pool is shared with drizzle, which turns off postgres.js' date parsing.
  created_at: Date | string;
};

export function cursorOfRow(row: Pick<OutboxRow, 'xid' | 'id'>): Cursor {
  return { xid: BigInt(row.xid), id: BigInt(row.id) };
}

export function decodeOutboxRow(row: OutboxRow, prev: string | null = null): LiveEvent {
  return {
    cursor: formatCursor(cursorOfRow(row)),
    prev,
    topic: row.topic as Topic,
    action: row.action as Action,
    courseId: row.course_id,
    audienceUserId: row.audience_user_id,
    entityId: row.entity_id,
    data: row.data,
    occurredAt: new Date(row.created_at).toISOString(),
  };
}

/**
 * Subscribers with the same share scope see the same result for an event (unless they select
 * viewer-dependent fields, see shared-execution.ts), so it is executed once for all of them.
 * Personal events (your notification, your own grade as a student) are never shared.
 */
export function shareScope(event: Pick<LiveEvent, 'topic'>, role: CourseRole | null): string | null {
  if (event.topic === 'notification' || !role) return null;
  if (role === 'STUDENT' && (event.topic === 'grade' || event.topic === 'attendance')) return null;
  return role;
}

/**
 * Who may see an event, given the viewer's current role in its course. Grades and attendance are
 * personal (staff see all of their course); polls and content belong to the course; notifications
 * to their user alone. Membership events are internal.
 */
export function canSee(
  event: Pick<LiveEvent, 'topic' | 'audienceUserId'>,
  viewerId: string,
  role: CourseRole | null,
): boolean {
  switch (event.topic) {
    case 'grade':
    case 'attendance':
      return role === 'ADMIN' || role === 'INSTRUCTOR' || (role === 'STUDENT' && event.audienceUserId === viewerId);
    case 'poll':
    case 'content':
      return role !== null;
    case 'notification':
      return event.audienceUserId === viewerId;
    default:
      return false;
  }
}

/** Whether a viewer may see an event, and with whom its result may be shared. */
export type Verdict = { visible: boolean; shareScope: string | null };

const verdict = (event: LiveEvent, viewerId: string, role: CourseRole | null): Verdict => ({
  visible: canSee(event, viewerId, role),
  shareScope: shareScope(event, role),
});

/** Decides an event for a viewer from their current role in its course: synchronously when the role is cached. */
export function authorize(
  event: LiveEvent,
  viewerId: string,
  access: Pick<Access, 'knownRoleIn' | 'roleIn'>,
): Verdict | Promise<Verdict> {
  if (!event.courseId) return verdict(event, viewerId, null);
  const known = access.knownRoleIn(event.courseId);
  return known !== undefined
    ? verdict(event, viewerId, known)
    : access.roleIn(event.courseId).then((role) => verdict(event, viewerId, role));
}
