import type { CourseRole } from '../auth/access';

/**
 * Who may talk to whom, and who may remove what: the school must be able to see what is said to
 * children, so a direct conversation always has a member of staff in it (never two students).
 */
export type ConversationKind = 'CHANNEL' | 'DIRECT';

const isStaff = (role: CourseRole | null) => role === 'INSTRUCTOR' || role === 'ADMIN';

/** Whether two people with these roles in a course may have a direct conversation there. */
export function mayTalkDirectly(a: CourseRole | null, b: CourseRole | null): boolean {
  if (!a || !b) return false;
  return isStaff(a) || isStaff(b);
}

/** Whether a viewer may read a conversation: channels to members, direct ones to participants, all to admins. */
export function mayRead(
  conversation: { kind: ConversationKind; participants: readonly string[] },
  viewerId: string,
  role: CourseRole | null,
): boolean {
  if (role === 'ADMIN') return true;
  if (!role) return false;
  return conversation.kind === 'CHANNEL' || conversation.participants.includes(viewerId);
}

/** Writing needs more than reading: admins read every conversation but write only in channels and their own. */
export function mayWrite(
  conversation: { kind: ConversationKind; participants: readonly string[] },
  viewerId: string,
  role: CourseRole | null,
): boolean {
  if (!role) return false;
  return conversation.kind === 'CHANNEL' || conversation.participants.includes(viewerId);
}

/** Deleting a message: its author; the course's instructors in its channel; admins anywhere. */
export function mayDelete(
  message: { authorId: string },
  conversation: { kind: ConversationKind },
  viewerId: string,
  role: CourseRole | null,
): boolean {
  if (role === 'ADMIN') return true;
  if (message.authorId === viewerId) return role !== null;
  return role === 'INSTRUCTOR' && conversation.kind === 'CHANNEL';
}

/** The key that makes one direct conversation per pair and course. */
export const pairKey = (a: string, b: string) => [a, b].sort().join(':');
