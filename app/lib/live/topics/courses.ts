// courseChanged: a course's structure (assessments, sessions, the course itself) or membership
// (enrolments, teaching assignments) changed. Without a course filter, so a dashboard gains a
// course the moment its viewer joins it and loses it when they leave.
//
// Lists are edited in place rather than invalidated: with the schema-aware cache a missing item
// of a non-null list nulls the whole view until a refetch (see ../../cache.ts).
import type { Cache, Data } from '@urql/exchange-graphcache';
import { addToList, removeFromList } from '../../cache';
import { AssessmentFields, SessionFields, StandingFields } from '../../documents';
import { graphql, type ResultOf } from '../../graphql';
import { defineTopic } from '../topic';

export const CourseEventFields = graphql(
  `fragment CourseEventFields on CourseEvent {
    __typename cursor action occurredAt change courseId entityId
    course {
      __typename id code title viewerCanManage studentCount instructors { id name }
      myStanding { ...StandingFields } standings { ...StandingFields }
    }
    assessment { ...AssessmentFields }
    session { ...SessionFields }
    user { __typename id name email }
  }`,
  [AssessmentFields, SessionFields, StandingFields],
);
export type CourseEvent = ResultOf<typeof CourseEventFields>;

/** Whether this event took the viewer out of the course (their enrolment or teaching assignment ended). */
export const endsAccess = (e: CourseEvent, viewerId: string | undefined) =>
  (e.change === 'ENROLMENT' || e.change === 'TEACHING') && e.action === 'DELETED' && e.entityId === viewerId;

/** Adds `item` to a loaded list and keeps the list in the server's order. */
function addSorted(cache: Cache, entity: string, field: string, item: Data, by: string, compare = byText) {
  addToList(cache, entity, field, item);
  const list = cache.resolve(entity, field);
  if (!Array.isArray(list)) return;
  const value = (k: string) => String(cache.resolve(k, by) ?? '');
  cache.link(
    entity,
    field,
    (list as string[]).slice().sort((a, b) => compare(value(a), value(b))),
  );
}
/** A new entity's list (and the viewer's own item of it) are empty, unless something was recorded already. */
function nothingYet(cache: Cache, entity: string, list: string, mine: string) {
  if (cache.resolve(entity, list) === undefined) cache.link(entity, list, []);
  if (cache.resolve(entity, mine) === undefined) cache.link(entity, mine, null);
}
const byText = (a: string, b: string) => a.localeCompare(b);
const byTime = (a: string, b: string) => Date.parse(a) - Date.parse(b);

export const courses = defineTopic({
  field: 'courseChanged',
  fragment: CourseEventFields,
  document: graphql(
    `subscription CourseChanged($after: String) { courseChanged(after: $after) { ...CourseEventFields } }`,
    [CourseEventFields],
  ),
  // Entities in the event (the course, an assessment's weight, a session's new time, every standing
  // a weight change moved) update themselves; lists and memberships need this.
  update(e, cache, { viewerId }) {
    if (e.action === 'RESYNC' || !e.courseId) return;
    const course = `Course:${e.courseId}`;
    switch (e.change) {
      case 'ASSESSMENT':
        if (e.action === 'DELETED') removeFromList(cache, course, 'assessments', `Assessment:${e.entityId}`);
        else if (e.assessment) {
          // A new assessment has no grades yet: say so, so views that list them can show it.
          if (e.action === 'CREATED') nothingYet(cache, `Assessment:${e.entityId}`, 'grades', 'myGrade');
          addToList(cache, course, 'assessments', e.assessment);
        }
        return;
      case 'SESSION':
        if (e.action === 'DELETED') removeFromList(cache, course, 'sessions', `ClassSession:${e.entityId}`);
        else if (e.session) {
          if (e.action === 'CREATED') nothingYet(cache, `ClassSession:${e.entityId}`, 'records', 'myRecord');
          addSorted(cache, course, 'sessions', e.session, 'startsAt', byTime);
        }
        return;
      case 'ENROLMENT':
      case 'TEACHING': {
        // The viewer's own membership: their list of courses gains or loses this one.
        if (e.entityId === viewerId) {
          if (e.action === 'DELETED') removeFromList(cache, 'Query', 'courses', course);
          else if (e.course) addSorted(cache, 'Query', 'courses', e.course, 'code');
          return;
        }
        const list = e.change === 'ENROLMENT' ? 'students' : 'instructors';
        if (e.action === 'DELETED') {
          removeFromList(cache, course, list, `User:${e.entityId}`);
          if (e.change === 'ENROLMENT')
            removeFromList(cache, course, 'attendanceTotals', `AttendanceTotals:${e.courseId}:${e.entityId}`);
        } else if (e.user) addSorted(cache, course, list, e.user, 'name');
        return;
      }
      default:
        return;
    }
  },
});
