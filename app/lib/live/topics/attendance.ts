// attendanceChanged: an attendance record created or changed, with the student's new totals.
import { addToList, linkIfLoaded, removeFromList } from '../../cache';
import { RecordFields, TotalsFields } from '../../documents';
import { graphql, type ResultOf } from '../../graphql';
import { defineTopic } from '../topic';

export const AttendanceEventFields = graphql(
  `fragment AttendanceEventFields on AttendanceEvent {
    __typename cursor action occurredAt
    record { ...RecordFields session { id course { id } } }
    totals { ...TotalsFields }
  }`,
  [RecordFields, TotalsFields],
);
export type AttendanceEvent = ResultOf<typeof AttendanceEventFields>;

export const attendance = defineTopic({
  field: 'attendanceChanged',
  fragment: AttendanceEventFields,
  document: graphql(
    `subscription AttendanceChanged($after: String) { attendanceChanged(after: $after) { ...AttendanceEventFields } }`,
    [AttendanceEventFields],
  ),
  update(e, cache, { viewerId }) {
    const r = e.record;
    if (e.action === 'RESYNC' || !r) return;
    const session = `ClassSession:${r.session.id}`;
    const recordKey = `AttendanceRecord:${r.id}`;
    if (e.action === 'DELETED') {
      removeFromList(cache, session, 'records', recordKey);
      if (cache.resolve(session, 'myRecord') === recordKey) cache.link(session, 'myRecord', null);
      cache.invalidate(recordKey);
    } else {
      addToList(cache, session, 'records', r);
      if (r.student.id === viewerId) linkIfLoaded(cache, session, 'myRecord', r);
    }
    if (e.totals) {
      const course = `Course:${r.session.course.id}`;
      addToList(cache, course, 'attendanceTotals', e.totals);
      if (e.totals.student.id === viewerId) linkIfLoaded(cache, course, 'myAttendanceTotals', e.totals);
    }
  },
});
