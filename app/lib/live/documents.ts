// The live documents: one subscription per topic (no course filter: the socket carries everything
// the viewer may see, so every open view updates) and the polling query that returns the same
// events. The event fragments are shared, so a polled event is shaped exactly like a pushed one
// and runs through the same graphcache updaters (./updaters.ts).
import { GradeFields, NotificationFields, PollFields, RecordFields, StandingFields, TotalsFields } from '../documents';
import { graphql, type ResultOf } from '../graphql';

export const GradeEventFields = graphql(
  `fragment GradeEventFields on GradeEvent {
    __typename cursor action occurredAt
    grade { ...GradeFields assessment { id course { id } } }
    standing { ...StandingFields }
  }`,
  [GradeFields, StandingFields],
);
export const AttendanceEventFields = graphql(
  `fragment AttendanceEventFields on AttendanceEvent {
    __typename cursor action occurredAt
    record { ...RecordFields session { id course { id } } }
    totals { ...TotalsFields }
  }`,
  [RecordFields, TotalsFields],
);
export const PollEventFields = graphql(
  `fragment PollEventFields on PollEvent {
    __typename cursor action occurredAt vote
    poll { ...PollFields course { id } }
  }`,
  [PollFields],
);
export const ContentEventFields = graphql(`fragment ContentEventFields on ContentAvailableEvent {
  __typename cursor action occurredAt courseId newPosts newComments changes latestPostId latestCommentId postIds
}`);
// `action` comes before `notification` on purpose: the NotificationEvent.action updater reads the
// notification's previous read state from the cache before graphcache writes the new one.
export const NotificationEventFields = graphql(
  `fragment NotificationEventFields on NotificationEvent {
    __typename cursor action occurredAt
    notification { ...NotificationFields }
  }`,
  [NotificationFields],
);

export type GradeEvent = ResultOf<typeof GradeEventFields>;
export type AttendanceEvent = ResultOf<typeof AttendanceEventFields>;
export type PollEvent = ResultOf<typeof PollEventFields>;
export type ContentEvent = ResultOf<typeof ContentEventFields>;
export type NotificationEvent = ResultOf<typeof NotificationEventFields>;

export const GradeChangedSubscription = graphql(
  `subscription GradeChanged($after: String) { gradeChanged(after: $after) { ...GradeEventFields } }`,
  [GradeEventFields],
);
export const AttendanceChangedSubscription = graphql(
  `subscription AttendanceChanged($after: String) { attendanceChanged(after: $after) { ...AttendanceEventFields } }`,
  [AttendanceEventFields],
);
export const PollChangedSubscription = graphql(
  `subscription PollChanged($after: String) { pollChanged(after: $after) { ...PollEventFields } }`,
  [PollEventFields],
);
export const ContentAvailableSubscription = graphql(
  `subscription ContentAvailable($after: String) { contentAvailable(after: $after) { ...ContentEventFields } }`,
  [ContentEventFields],
);
export const NotificationReceivedSubscription = graphql(
  `subscription NotificationReceived($after: String) {
    notificationReceived(after: $after) { ...NotificationEventFields }
  }`,
  [NotificationEventFields],
);

export const LiveCursorQuery = graphql(`query LiveCursor { liveCursor }`);
export const UpdatesQuery = graphql(
  `query LiveUpdates($after: String!, $first: Int) {
    updates(after: $after, first: $first) {
      cursor hasMore resyncRequired
      events {
        __typename
        ...GradeEventFields ...AttendanceEventFields ...PollEventFields ...ContentEventFields ...NotificationEventFields
      }
    }
  }`,
  [GradeEventFields, AttendanceEventFields, PollEventFields, ContentEventFields, NotificationEventFields],
);
export type UpdatesData = ResultOf<typeof UpdatesQuery>;
export type LiveEvent = UpdatesData['updates']['events'][number];
export type LiveAction = LiveEvent['action'];

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
