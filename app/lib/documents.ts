// Every GraphQL document the web app sends, in one place. Fragments keep mutation results
// shaped like the queries they update, so graphcache can write them without a refetch.
import { gql } from 'urql';
import type * as T from './types';

export const UserFields = gql`
  fragment UserFields on User { id name email role }
`;
export const StandingFields = gql`
  fragment StandingFields on Standing { id average graded total student { id } }
`;
export const TotalsFields = gql`
  fragment TotalsFields on AttendanceTotals { id present late absent excused recorded sessions student { id } }
`;
export const GradeFields = gql`
  fragment GradeFields on Grade { id score note updatedAt student { id } assessment { id } }
`;
export const AssessmentFields = gql`
  fragment AssessmentFields on Assessment { id title kind maxScore weight dueAt }
`;
export const RecordFields = gql`
  fragment RecordFields on AttendanceRecord { id status updatedAt student { id } session { id } }
`;
export const PollFields = gql`
  fragment PollFields on Poll {
    id question status closesAt createdAt totalVotes myVote
    options { id label votes }
  }
`;
export const CommentFields = gql`
  fragment CommentFields on Comment { id body createdAt author { id name } }
`;
export const PostFields = gql`
  fragment PostFields on Post {
    id body announcement createdAt commentCount
    author { id name role }
    comments { ...CommentFields }
  }
  ${CommentFields}
`;
export const NotificationFields = gql`
  fragment NotificationFields on Notification { id kind message link read createdAt }
`;

// ---- auth -------------------------------------------------------------------------------
export const LoginMutation = gql<{ login: T.AuthPayload }, { email: string; password: string }>`
  mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { token expiresAt user { ...UserFields } }
  }
  ${UserFields}
`;
export const RenewTokenMutation = gql<{ renewToken: T.AuthPayload }>`
  mutation RenewToken { renewToken { token expiresAt user { ...UserFields } } }
  ${UserFields}
`;

// ---- dashboard and admin ----------------------------------------------------------------
type CoursesData = { courses: T.CourseSummary[] };
export const CoursesQuery = gql<CoursesData, { student: boolean }>`
  query Courses($student: Boolean!) {
    courses {
      id code title viewerCanManage studentCount
      instructors { id name }
      myStanding @include(if: $student) { ...StandingFields }
    }
  }
  ${StandingFields}
`;
export const UsersQuery = gql<{ users: T.User[] }, { role?: T.Role }>`
  query Users($role: Role) { users(role: $role) { ...UserFields } }
  ${UserFields}
`;
export const CreateCourseMutation = gql<{ createCourse: T.CourseSummary }, { code: string; title: string }>`
  mutation CreateCourse($code: String!, $title: String!) {
    createCourse(code: $code, title: $title) { id code title viewerCanManage studentCount instructors { id name } }
  }
`;
export const CreateUserMutation = gql<
  { createUser: T.User },
  { email: string; name: string; role: T.Role; password: string }
>`
  mutation CreateUser($email: String!, $name: String!, $role: Role!, $password: String!) {
    createUser(email: $email, name: $name, role: $role, password: $password) { ...UserFields }
  }
  ${UserFields}
`;
export const EnrolStudentMutation = gql<
  { enrolStudent: { id: string; studentCount: number } },
  { courseId: string; studentId: string }
>`
  mutation EnrolStudent($courseId: ID!, $studentId: ID!) {
    enrolStudent(courseId: $courseId, studentId: $studentId) { id studentCount }
  }
`;

// ---- course -----------------------------------------------------------------------------
export const CourseQuery = gql<
  {
    course: {
      id: string;
      code: string;
      title: string;
      viewerCanManage: boolean;
      studentCount: number;
      instructors: { id: string; name: string }[];
    } | null;
  },
  { id: string }
>`
  query Course($id: ID!) {
    course(id: $id) { id code title viewerCanManage studentCount instructors { id name } }
  }
`;

// ---- grades -----------------------------------------------------------------------------
type Student = { id: string; name: string; email: string };
export type GradeSheetData = {
  course: {
    id: string;
    students: Student[];
    assessments: (T.Assessment & { grades: T.Grade[] })[];
    standings: T.Standing[];
  } | null;
};
export const GradeSheetQuery = gql<GradeSheetData, { id: string }>`
  query GradeSheet($id: ID!) {
    course(id: $id) {
      id
      students { id name email }
      assessments { ...AssessmentFields grades { ...GradeFields } }
      standings { ...StandingFields }
    }
  }
  ${AssessmentFields} ${GradeFields} ${StandingFields}
`;
export type MyGradesData = {
  course: {
    id: string;
    assessments: (T.Assessment & { myGrade: T.Grade | null })[];
    myStanding: T.Standing | null;
  } | null;
};
export const MyGradesQuery = gql<MyGradesData, { id: string }>`
  query MyGrades($id: ID!) {
    course(id: $id) {
      id
      assessments { ...AssessmentFields myGrade { ...GradeFields } }
      myStanding { ...StandingFields }
    }
  }
  ${AssessmentFields} ${GradeFields} ${StandingFields}
`;
export const RecordGradeMutation = gql<
  { recordGrade: T.Grade & { assessment: { id: string; course: { id: string } } } },
  { assessmentId: string; studentId: string; score: number; note?: string | null }
>`
  mutation RecordGrade($assessmentId: ID!, $studentId: ID!, $score: Float!, $note: String) {
    recordGrade(assessmentId: $assessmentId, studentId: $studentId, score: $score, note: $note) {
      ...GradeFields
      assessment { id course { id } }
    }
  }
  ${GradeFields}
`;
export const DeleteGradeMutation = gql<
  { deleteGrade: { id: string; student: { id: string }; assessment: { id: string; course: { id: string } } } },
  { id: string }
>`
  mutation DeleteGrade($id: ID!) {
    deleteGrade(id: $id) { id student { id } assessment { id course { id } } }
  }
`;
export const CreateAssessmentMutation = gql<
  { createAssessment: T.Assessment & { grades: T.Grade[] } },
  { courseId: string; title: string; kind: T.AssessmentKind; maxScore: number; weight?: number }
>`
  mutation CreateAssessment($courseId: ID!, $title: String!, $kind: AssessmentKind!, $maxScore: Float!, $weight: Float) {
    createAssessment(courseId: $courseId, title: $title, kind: $kind, maxScore: $maxScore, weight: $weight) {
      ...AssessmentFields grades { ...GradeFields }
    }
  }
  ${AssessmentFields} ${GradeFields}
`;

// ---- attendance -------------------------------------------------------------------------
export type AttendanceSheetData = {
  course: {
    id: string;
    students: Student[];
    sessions: (T.ClassSession & { records: T.AttendanceRecord[] })[];
    attendanceTotals: T.AttendanceTotals[];
  } | null;
};
export const AttendanceSheetQuery = gql<AttendanceSheetData, { id: string }>`
  query AttendanceSheet($id: ID!) {
    course(id: $id) {
      id
      students { id name email }
      sessions { id title startsAt records { ...RecordFields } }
      attendanceTotals { ...TotalsFields }
    }
  }
  ${RecordFields} ${TotalsFields}
`;
export type MyAttendanceData = {
  course: {
    id: string;
    sessions: (T.ClassSession & { myRecord: T.AttendanceRecord | null })[];
    myAttendanceTotals: T.AttendanceTotals | null;
  } | null;
};
export const MyAttendanceQuery = gql<MyAttendanceData, { id: string }>`
  query MyAttendance($id: ID!) {
    course(id: $id) {
      id
      sessions { id title startsAt myRecord { ...RecordFields } }
      myAttendanceTotals { ...TotalsFields }
    }
  }
  ${RecordFields} ${TotalsFields}
`;
export const RecordAttendanceMutation = gql<
  { recordAttendance: T.AttendanceRecord & { session: { id: string; course: { id: string } } } },
  { sessionId: string; studentId: string; status: T.AttendanceStatus }
>`
  mutation RecordAttendance($sessionId: ID!, $studentId: ID!, $status: AttendanceStatus!) {
    recordAttendance(sessionId: $sessionId, studentId: $studentId, status: $status) {
      ...RecordFields
      session { id course { id } }
    }
  }
  ${RecordFields}
`;
export const MarkAllPresentMutation = gql<
  { markAllPresent: { id: string; records: T.AttendanceRecord[] } },
  { sessionId: string }
>`
  mutation MarkAllPresent($sessionId: ID!) {
    markAllPresent(sessionId: $sessionId) { id records { ...RecordFields } }
  }
  ${RecordFields}
`;
export const CreateSessionMutation = gql<
  { createClassSession: T.ClassSession & { records: T.AttendanceRecord[] } },
  { courseId: string; title: string; startsAt: string }
>`
  mutation CreateClassSession($courseId: ID!, $title: String!, $startsAt: DateTime!) {
    createClassSession(courseId: $courseId, title: $title, startsAt: $startsAt) {
      id title startsAt records { ...RecordFields }
    }
  }
  ${RecordFields}
`;

// ---- polls ------------------------------------------------------------------------------
export const PollsQuery = gql<
  { course: { id: string; viewerCanManage: boolean; polls: T.Poll[] } | null },
  { id: string }
>`
  query Polls($id: ID!) { course(id: $id) { id viewerCanManage polls { ...PollFields } } }
  ${PollFields}
`;
export const OpenPollMutation = gql<
  { openPoll: T.Poll },
  { courseId: string; question: string; options: string[]; closesAt?: string | null }
>`
  mutation OpenPoll($courseId: ID!, $question: String!, $options: [String!]!, $closesAt: DateTime) {
    openPoll(courseId: $courseId, question: $question, options: $options, closesAt: $closesAt) { ...PollFields }
  }
  ${PollFields}
`;
export const CastVoteMutation = gql<{ castVote: T.Poll }, { pollId: string; optionId: string }>`
  mutation CastVote($pollId: ID!, $optionId: ID!) { castVote(pollId: $pollId, optionId: $optionId) { ...PollFields } }
  ${PollFields}
`;
export const ClosePollMutation = gql<{ closePoll: T.Poll }, { id: string }>`
  mutation ClosePoll($id: ID!) { closePoll(id: $id) { ...PollFields } }
  ${PollFields}
`;

// ---- feed -------------------------------------------------------------------------------
export const FEED_PAGE_SIZE = 20;
export type FeedData = {
  course: {
    id: string;
    viewerCanManage: boolean;
    posts: { totalCount: number; pageInfo: T.PageInfo; edges: { cursor: string; node: T.Post }[] };
  } | null;
};
export const FeedQuery = gql<FeedData, { id: string; first: number; after?: string | null }>`
  query Feed($id: ID!, $first: Int!, $after: String) {
    course(id: $id) {
      id viewerCanManage
      posts(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { cursor node { ...PostFields } }
      }
    }
  }
  ${PostFields}
`;
export const CreatePostMutation = gql<
  { createPost: T.Post },
  { courseId: string; body: string; announcement?: boolean }
>`
  mutation CreatePost($courseId: ID!, $body: String!, $announcement: Boolean) {
    createPost(courseId: $courseId, body: $body, announcement: $announcement) { ...PostFields }
  }
  ${PostFields}
`;
export const CreateCommentMutation = gql<
  { createComment: T.Comment & { post: { id: string; commentCount: number } } },
  { postId: string; body: string }
>`
  mutation CreateComment($postId: ID!, $body: String!) {
    createComment(postId: $postId, body: $body) { ...CommentFields post { id commentCount } }
  }
  ${CommentFields}
`;

// ---- notifications ----------------------------------------------------------------------
export const NOTIFICATIONS_PAGE_SIZE = 20;
export type NotificationsData = {
  notifications: {
    unreadCount: number;
    pageInfo: T.PageInfo;
    edges: { cursor: string; node: T.Notification }[];
  };
};
export const NotificationsQuery = gql<NotificationsData, { first: number; after?: string | null }>`
  query Notifications($first: Int!, $after: String) {
    notifications(first: $first, after: $after) {
      unreadCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { ...NotificationFields } }
    }
  }
  ${NotificationFields}
`;
export const MarkNotificationReadMutation = gql<{ markNotificationRead: T.Notification }, { id: string }>`
  mutation MarkNotificationRead($id: ID!) { markNotificationRead(id: $id) { ...NotificationFields } }
  ${NotificationFields}
`;
export const MarkAllNotificationsReadMutation = gql<{ markAllNotificationsRead: number }>`
  mutation MarkAllNotificationsRead { markAllNotificationsRead }
`;
