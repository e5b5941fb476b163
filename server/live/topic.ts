import type { Access, CourseRole } from '../auth/access';
import type { LiveEvent } from './event';
import type { Route } from './hub';

/**
 * Who may see a topic's events, given the viewer's current role in the event's course:
 * - `members`: everyone in the course (and admins); an event that names the viewer (their own
 *   enrolment ending) reaches them even when it took them out of the course;
 * - `staff`: the course's instructors and admins;
 * - `staffAndSubject`: staff, and the student the event is about (grades, attendance);
 * - `staffAndConcerned`: staff, and the user the event is about even when it took them out of the
 *   course (an enrolment: other students do not learn who joined or left);
 * - `recipient`: only the user the event is addressed to (notifications);
 * - `conversation`: a course channel's events reach its members; a direct conversation's event
 *   names its participants (`data.participants`, written by the trigger) and reaches only those
 *   still in the course, and admins.
 */
export type Audience = 'members' | 'staff' | 'staffAndSubject' | 'staffAndConcerned' | 'recipient' | 'conversation';

/** The participants a direct conversation's event names; undefined for everything else (a channel). */
const participantsOf = (event: { data?: LiveEvent['data'] }): string[] | undefined =>
  Array.isArray(event.data?.participants) ? (event.data.participants as string[]) : undefined;

/** The transport-free half of a live topic's declaration (the GraphQL half: server/schema/live-topic.ts). */
export type TopicPolicy = {
  /** The topic's name: metrics label, and how `updates` tells its events apart. */
  name: string;
  /** The outbox topics (written by triggers) whose events this topic delivers. */
  sources: readonly string[];
  /** One audience for the whole topic, or one per event (a topic that carries several kinds of change). */
  audience: Audience | ((event: LiveEvent) => Audience);
  /** Events of one course that arrive within this window leave as one message (a burst becomes one signal). */
  coalesceMs?: (windows: CoalesceWindows) => number;
  /** Narrows events by the subscription's own arguments (pollChanged's `pollId`); null: no narrowing. */
  narrow?: (args: Readonly<Record<string, string | null>>) => ((event: LiveEvent) => boolean) | null;
};

/** The configured coalescing windows a topic may pick from. */
export type CoalesceWindows = { contentCoalesceMs: number; statsCoalesceMs: number };

/** Whether a viewer may see an event, and with whom its result may be shared (null: theirs alone). */
export type Verdict = { visible: boolean; shareScope: string | null };

/** The audience of one event of a topic. */
export const audienceOf = (policy: Pick<TopicPolicy, 'audience'>, event: LiveEvent): Audience =>
  typeof policy.audience === 'function' ? policy.audience(event) : policy.audience;

export function canSee(
  audience: Audience,
  event: Pick<LiveEvent, 'audienceUserId'> & { data?: LiveEvent['data'] },
  viewerId: string,
  role: CourseRole | null,
): boolean {
  const staff = role === 'ADMIN' || role === 'INSTRUCTOR';
  switch (audience) {
    case 'members':
      return role !== null || (event.audienceUserId !== null && event.audienceUserId === viewerId);
    case 'staff':
      return staff;
    case 'staffAndSubject':
      return staff || (role === 'STUDENT' && event.audienceUserId === viewerId);
    case 'staffAndConcerned':
      return staff || event.audienceUserId === viewerId;
    case 'recipient':
      return event.audienceUserId === viewerId;
    case 'conversation': {
      const participants = participantsOf(event);
      if (!participants) return role !== null;
      return role === 'ADMIN' || (role !== null && participants.includes(viewerId));
    }
  }
}

/**
 * Subscribers with the same share scope (their role in the course) get the same result for an
 * event, so it is executed once for all of them (live/shared-execution.ts). What a student sees of
 * an event about them alone, or a recipient of their own event, is never shared; nor is a direct
 * conversation's (a handful of readers, each executed as themselves).
 */
export function shareScope(
  audience: Audience,
  role: CourseRole | null,
  event?: { data?: LiveEvent['data'] },
): string | null {
  if (audience === 'recipient' || !role) return null;
  if (audience === 'conversation' && event && participantsOf(event)) return null;
  if ((audience === 'staffAndSubject' || audience === 'staffAndConcerned') && role === 'STUDENT') return null;
  return role;
}

function verdict(policy: TopicPolicy, event: LiveEvent, viewerId: string, role: CourseRole | null): Verdict {
  const audience = audienceOf(policy, event);
  return { visible: canSee(audience, event, viewerId, role), shareScope: shareScope(audience, role, event) };
}

/** Decides an event for a viewer from their current role in its course: synchronously when the role is cached. */
export function authorize(
  policy: TopicPolicy,
  event: LiveEvent,
  viewerId: string,
  access: Pick<Access, 'knownRoleIn' | 'roleIn'>,
): Verdict | Promise<Verdict> {
  // A recipient's events need no role: skip loading memberships for them.
  if (!event.courseId || policy.audience === 'recipient') return verdict(policy, event, viewerId, null);
  const known = access.knownRoleIn(event.courseId);
  return known !== undefined
    ? verdict(policy, event, viewerId, known)
    : access.roleIn(event.courseId).then((role) => verdict(policy, event, viewerId, role));
}

/** What a subscription hears from the hub: its sources, for one course or for its recipient, or all. */
export function routesOf(policy: TopicPolicy, viewerId: string, courseId: string | null): Route[] {
  return policy.sources.map((topic) =>
    policy.audience === 'recipient' ? { topic, userId: viewerId } : { topic, courseId },
  );
}

/** Whether an event belongs to a topic, before authorization (cheap, synchronous). */
export function belongsTo(policy: TopicPolicy, event: LiveEvent, courseId: string | null): boolean {
  return policy.sources.includes(event.topic) && (!courseId || event.courseId === courseId);
}

/** The events that change who belongs to which course: a subscription forgets the permissions it cached. */
export const MEMBERSHIP_TOPIC = 'membership';

/** Sessions ended and roles changed (live/accounts.ts): internal, never delivered to clients. */
export const ACCOUNT_TOPIC = 'account';
