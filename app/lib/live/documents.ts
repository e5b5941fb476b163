// The live documents: one subscription per topic (no course filter: the socket carries everything
// the viewer may see, so every open view updates) and the polling query that returns the same
// events. The event fragments are shared, so a polled event is shaped exactly like a pushed one
// and runs through the same graphcache updaters (./updaters.ts).
import { gql } from 'urql';
import { GradeFields, NotificationFields, PollFields, RecordFields, StandingFields, TotalsFields } from '../documents';
import type * as T from '../types';

export type LiveAction = 'CREATED' | 'UPDATED' | 'DELETED' | 'RESYNC';
type Base<N extends string> = { __typename: N; cursor: string; action: LiveAction; occurredAt: string };

export type GradeEvent = Base<'GradeEvent'> & {
  grade: (T.Grade & { assessment: { id: string; course: { id: string } } }) | null;
  standing: T.Standing | null;
};
export type AttendanceEvent = Base<'AttendanceEvent'> & {
  record: (T.AttendanceRecord & { session: { id: string; course: { id: string } } }) | null;
  totals: T.AttendanceTotals | null;
};
export type PollEvent = Base<'PollEvent'> & { vote: boolean; poll: (T.Poll & { course: { id: string } }) | null };
export type ContentEvent = Base<'ContentAvailableEvent'> & {
  courseId: string | null;
  newPosts: number;
  newComments: number;
  changes: number;
  latestPostId: string | null;
  latestCommentId: string | null;
  postIds: string[];
};
export type NotificationEvent = Base<'NotificationEvent'> & { notification: T.Notification | null };
export type LiveEvent = GradeEvent | AttendanceEvent | PollEvent | ContentEvent | NotificationEvent;

export const GradeEventFields = gql`
  fragment GradeEventFields on GradeEvent {
    __typename cursor action occurredAt
    grade { ...GradeFields assessment { id course { id } } }
    standing { ...StandingFields }
  }
  ${GradeFields} ${StandingFields}
`;
export const AttendanceEventFields = gql`
  fragment AttendanceEventFields on AttendanceEvent {
    __typename cursor action occurredAt
    record { ...RecordFields session { id course { id } } }
    totals { ...TotalsFields }
  }
  ${RecordFields} ${TotalsFields}
`;
export const PollEventFields = gql`
  fragment PollEventFields on PollEvent {
    __typename cursor action occurredAt vote
    poll { ...PollFields course { id } }
  }
  ${PollFields}
`;
export const ContentEventFields = gql`
  fragment ContentEventFields on ContentAvailableEvent {
    __typename cursor action occurredAt courseId newPosts newComments changes latestPostId latestCommentId postIds
  }
`;
// `action` comes before `notification` on purpose: the NotificationEvent.action updater reads the
// notification's previous read state from the cache before graphcache writes the new one.
export const NotificationEventFields = gql`
  fragment NotificationEventFields on NotificationEvent {
    __typename cursor action occurredAt
    notification { ...NotificationFields }
  }
  ${NotificationFields}
`;

export const GradeChangedSubscription = gql<{ gradeChanged: GradeEvent }>`
  subscription GradeChanged($after: String) { gradeChanged(after: $after) { ...GradeEventFields } }
  ${GradeEventFields}
`;
export const AttendanceChangedSubscription = gql<{ attendanceChanged: AttendanceEvent }>`
  subscription AttendanceChanged($after: String) { attendanceChanged(after: $after) { ...AttendanceEventFields } }
  ${AttendanceEventFields}
`;
export const PollChangedSubscription = gql<{ pollChanged: PollEvent }>`
  subscription PollChanged($after: String) { pollChanged(after: $after) { ...PollEventFields } }
  ${PollEventFields}
`;
export const ContentAvailableSubscription = gql<{ contentAvailable: ContentEvent }>`
  subscription ContentAvailable($after: String) { contentAvailable(after: $after) { ...ContentEventFields } }
  ${ContentEventFields}
`;
export const NotificationReceivedSubscription = gql<{ notificationReceived: NotificationEvent }>`
  subscription NotificationReceived($after: String) { notificationReceived(after: $after) { ...NotificationEventFields } }
  ${NotificationEventFields}
`;

export const LiveCursorQuery = gql<{ liveCursor: string }>`
  query LiveCursor { liveCursor }
`;
export type UpdatesData = {
  updates: { cursor: string; hasMore: boolean; resyncRequired: boolean; events: LiveEvent[] };
};
export const UpdatesQuery = gql<UpdatesData, { after: string; first?: number }>`
  query LiveUpdates($after: String!, $first: Int) {
    updates(after: $after, first: $first) {
      cursor hasMore resyncRequired
      events {
        __typename
        ...GradeEventFields ...AttendanceEventFields ...PollEventFields ...ContentEventFields ...NotificationEventFields
      }
    }
  }
  ${GradeEventFields} ${AttendanceEventFields} ${PollEventFields} ${ContentEventFields} ${NotificationEventFields}
`;

/** Every topic: its subscription field, the event type that carries it, and its document. */
export const TOPICS = [
  { field: 'gradeChanged', type: 'GradeEvent', document: GradeChangedSubscription },
  { field: 'attendanceChanged', type: 'AttendanceEvent', document: AttendanceChangedSubscription },
  { field: 'pollChanged', type: 'PollEvent', document: PollChangedSubscription },
  { field: 'contentAvailable', type: 'ContentAvailableEvent', document: ContentAvailableSubscription },
  { field: 'notificationReceived', type: 'NotificationEvent', document: NotificationReceivedSubscription },
] as const;
export type TopicField = (typeof TOPICS)[number]['field'];
export const topicOfType = (type: string) => TOPICS.find((t) => t.type === type);
