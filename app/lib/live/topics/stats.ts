// statsChanged: a course's class statistics moved (staff only). Per course, while a view shows
// them; derived on the server from grade, attendance and course events, which is what a polling
// client hears instead (docs/realtime.md §7).
import { linkIfLoaded } from '../../cache';
import { CourseStatsFields } from '../../documents';
import { graphql, type ResultOf } from '../../graphql';
import { type CourseTopic, defineTopic } from '../topic';

export const StatsEventFields = graphql(
  `fragment StatsEventFields on CourseStatsEvent {
    __typename cursor action occurredAt courseId changes stats { ...CourseStatsFields }
  }`,
  [CourseStatsFields],
);
export type StatsEvent = ResultOf<typeof StatsEventFields>;

export const stats: CourseTopic<'statsChanged', StatsEvent> = {
  ...defineTopic({
    field: 'statsChanged',
    fragment: StatsEventFields,
    document: graphql(
      `subscription StatsChanged($courseId: ID!, $after: String) {
        statsChanged(courseId: $courseId, after: $after) { ...StatsEventFields }
      }`,
      [StatsEventFields],
    ),
    // CourseStats is keyed by its course: the new figures replace the old wherever they show.
    update(e, cache) {
      if (e.stats && e.courseId) linkIfLoaded(cache, `Course:${e.courseId}`, 'stats', e.stats);
    },
  }),
  derivedFrom: ['GradeEvent', 'AttendanceEvent', 'CourseEvent'],
};
