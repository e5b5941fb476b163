/** Subscription and query documents the live tests share. */

export const GRADE_CHANGED = /* GraphQL */ `
  subscription ($courseId: ID, $after: String) {
    gradeChanged(courseId: $courseId, after: $after) { cursor action occurredAt grade { id score student { id } assessment { id } } standing { __typename } }
  }`;

export const ATTENDANCE_CHANGED = /* GraphQL */ `
  subscription ($courseId: ID, $after: String) {
    attendanceChanged(courseId: $courseId, after: $after) { cursor action occurredAt record { id status student { id } } }
  }`;

export const POLL_CHANGED = /* GraphQL */ `
  subscription ($courseId: ID, $pollId: ID, $after: String) {
    pollChanged(courseId: $courseId, pollId: $pollId, after: $after) { cursor action occurredAt vote poll { id status totalVotes } }
  }`;

export const CONTENT_AVAILABLE = /* GraphQL */ `
  subscription ($courseId: ID, $after: String) {
    contentAvailable(courseId: $courseId, after: $after) { cursor action occurredAt courseId changes newPosts newComments latestPostId postIds }
  }`;

export const NOTIFICATION_RECEIVED = /* GraphQL */ `
  subscription ($after: String) {
    notificationReceived(after: $after) { cursor action occurredAt notification { id kind message link read } }
  }`;

export const COURSE_CHANGED = /* GraphQL */ `
  subscription ($courseId: ID, $after: String) {
    courseChanged(courseId: $courseId, after: $after) { cursor action occurredAt change courseId entityId }
  }`;

/** Derived (grade, attendance and course events), coalesced: `changes` counts the events a message covers. */
export const STATS_CHANGED = /* GraphQL */ `
  subscription ($courseId: ID!, $after: String) {
    statsChanged(courseId: $courseId, after: $after) { cursor action occurredAt courseId changes stats { id } }
  }`;

export const LIVE_CURSOR = /* GraphQL */ `{ liveCursor }`;

export const UPDATES = /* GraphQL */ `
  query ($after: String!, $courseId: ID, $first: Int) {
    updates(after: $after, courseId: $courseId, first: $first) {
      cursor hasMore resyncRequired
      events {
        __typename
        ... on GradeEvent { cursor action grade { id student { id } } }
        ... on AttendanceEvent { cursor action record { id } }
        ... on PollEvent { cursor action }
        ... on ContentAvailableEvent { cursor action changes courseId }
        ... on NotificationEvent { cursor action notification { id kind } }
        ... on CourseEvent { cursor action change }
      }
    }
  }`;

export const MESSAGE_CHANGED = /* GraphQL */ `
  subscription ($courseId: ID, $after: String) {
    messageChanged(courseId: $courseId, after: $after) { cursor action occurredAt conversationId messageId message { id body author { id } } }
  }`;
