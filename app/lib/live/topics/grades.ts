// gradeChanged: a grade recorded, changed or deleted, with the student's new standing.
import { addToList, linkIfLoaded, removeFromList } from '../../cache';
import { GradeFields, StandingFields } from '../../documents';
import { graphql, type ResultOf } from '../../graphql';
import { defineTopic } from '../topic';

export const GradeEventFields = graphql(
  `fragment GradeEventFields on GradeEvent {
    __typename cursor action occurredAt
    grade { ...GradeFields assessment { id course { id } } }
    standing { ...StandingFields }
  }`,
  [GradeFields, StandingFields],
);
export type GradeEvent = ResultOf<typeof GradeEventFields>;

export const grades = defineTopic({
  field: 'gradeChanged',
  fragment: GradeEventFields,
  document: graphql(
    `subscription GradeChanged($after: String) { gradeChanged(after: $after) { ...GradeEventFields } }`,
    [GradeEventFields],
  ),
  update(e, cache, { viewerId }) {
    const g = e.grade;
    if (e.action === 'RESYNC' || !g) return;
    const assessment = `Assessment:${g.assessment.id}`;
    const gradeKey = `Grade:${g.id}`;
    if (e.action === 'DELETED') {
      removeFromList(cache, assessment, 'grades', gradeKey);
      if (cache.resolve(assessment, 'myGrade') === gradeKey) cache.link(assessment, 'myGrade', null);
      cache.invalidate(gradeKey);
    } else {
      addToList(cache, assessment, 'grades', g);
      if (g.student.id === viewerId) linkIfLoaded(cache, assessment, 'myGrade', g);
    }
    if (e.standing) {
      const course = `Course:${g.assessment.course.id}`;
      addToList(cache, course, 'standings', e.standing);
      if (e.standing.student.id === viewerId) linkIfLoaded(cache, course, 'myStanding', e.standing);
    }
  },
});
