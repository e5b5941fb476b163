// Every GraphQL document the web app sends, in one place. Fragments keep mutation results
// shaped like the queries they update, so graphcache can write them without a refetch. Result and
// variables types are inferred from schema.graphql by gql.tada (./graphql.ts): `ResultOf<typeof
// X>` is what X returns, and a document that stops matching the schema fails the type-check.
import { graphql, type ResultOf } from './graphql';

export const UserFields = graphql(`fragment UserFields on User { __typename id name email role }`);
export type User = ResultOf<typeof UserFields>;
export type Role = User['role'];
export const StandingFields = graphql(
  `fragment StandingFields on Standing { __typename id average graded total student { id } }`,
);
export type Standing = ResultOf<typeof StandingFields>;
export const TotalsFields = graphql(
  `fragment TotalsFields on AttendanceTotals { __typename id present late absent excused recorded sessions student { id } }`,
);
export type AttendanceTotals = ResultOf<typeof TotalsFields>;
export const GradeFields = graphql(
  `fragment GradeFields on Grade { __typename id score note updatedAt student { id } assessment { id } }`,
);
export type Grade = ResultOf<typeof GradeFields>;
export const AssessmentFields = graphql(
  `fragment AssessmentFields on Assessment { __typename id title kind maxScore weight dueAt }`,
);
export type Assessment = ResultOf<typeof AssessmentFields>;
export type AssessmentKind = Assessment['kind'];
export const SessionFields = graphql(
  `fragment SessionFields on ClassSession { __typename id title startsAt cancelledAt }`,
);
export type ClassSession = ResultOf<typeof SessionFields>;
export const CourseStatsFields = graphql(
  `fragment CourseStatsFields on CourseStats {
    __typename id classAverage attendanceRate
    assessments { assessment { id title } average median graded }
    sessions { session { id title startsAt } attended rate }
  }`,
);
export type CourseStats = ResultOf<typeof CourseStatsFields>;
export const RecordFields = graphql(
  `fragment RecordFields on AttendanceRecord { __typename id status updatedAt student { id } session { id } }`,
);
export type AttendanceRecord = ResultOf<typeof RecordFields>;
export type AttendanceStatus = AttendanceRecord['status'];
export const PollFields = graphql(`fragment PollFields on Poll {
  __typename id question status closesAt createdAt totalVotes myVote
  options { id label votes }
}`);
export type Poll = ResultOf<typeof PollFields>;
export const CommentFields = graphql(
  `fragment CommentFields on Comment { __typename id body createdAt author { id name } }`,
);
export const PostFields = graphql(
  `fragment PostFields on Post {
    __typename id body announcement createdAt commentCount
    author { id name role }
    comments { ...CommentFields }
  }`,
  [CommentFields],
);
export type Post = ResultOf<typeof PostFields>;
export const NotificationFields = graphql(
  `fragment NotificationFields on Notification { __typename id kind message link read createdAt }`,
);
export type Notification = ResultOf<typeof NotificationFields>;

// ---- auth -------------------------------------------------------------------------------
export const LoginMutation = graphql(
  `mutation Login($email: String!, $password: String!) {
    login(email: $email, password: $password) { token expiresAt user { ...UserFields } }
  }`,
  [UserFields],
);
export type AuthPayload = ResultOf<typeof LoginMutation>['login'];
export const RenewTokenMutation = graphql(
  `mutation RenewToken { renewToken { token expiresAt user { ...UserFields } } }`,
  [UserFields],
);

// ---- dashboard and admin ----------------------------------------------------------------
export const CoursesQuery = graphql(
  `query Courses($student: Boolean!) {
    courses {
      id code title viewerCanManage studentCount
      instructors { id name }
      myStanding @include(if: $student) { ...StandingFields }
      stats @skip(if: $student) { ...CourseStatsFields }
    }
  }`,
  [StandingFields, CourseStatsFields],
);
export type CourseSummary = ResultOf<typeof CoursesQuery>['courses'][number];
export const UsersQuery = graphql(`query Users($role: Role) { users(role: $role) { ...UserFields } }`, [UserFields]);
export const CreateCourseMutation = graphql(`mutation CreateCourse($code: String!, $title: String!) {
  createCourse(code: $code, title: $title) {
    __typename id code title viewerCanManage studentCount instructors { id name }
  }
}`);
export const CreateUserMutation = graphql(
  `mutation CreateUser($email: String!, $name: String!, $role: Role!, $password: String!) {
    createUser(email: $email, name: $name, role: $role, password: $password) { ...UserFields }
  }`,
  [UserFields],
);
export const EnrolStudentMutation = graphql(`mutation EnrolStudent($courseId: ID!, $studentId: ID!) {
  enrolStudent(courseId: $courseId, studentId: $studentId) { id studentCount }
}`);
export const CourseRosterQuery = graphql(`query CourseRoster($id: ID!) {
  course(id: $id) { id code title students { id name email } instructors { id name } }
}`);
export const UnenrolStudentMutation = graphql(`mutation UnenrolStudent($courseId: ID!, $studentId: ID!) {
  unenrolStudent(courseId: $courseId, studentId: $studentId) { id studentCount }
}`);
export const AssignInstructorMutation = graphql(`mutation AssignInstructor($courseId: ID!, $instructorId: ID!) {
  assignInstructor(courseId: $courseId, instructorId: $instructorId) { id instructors { id name } }
}`);
export const RemoveInstructorMutation = graphql(`mutation RemoveInstructor($courseId: ID!, $instructorId: ID!) {
  removeInstructor(courseId: $courseId, instructorId: $instructorId) { id instructors { id name } }
}`);
export const UpdateCourseMutation = graphql(`mutation UpdateCourse($id: ID!, $code: String, $title: String) {
  updateCourse(id: $id, code: $code, title: $title) { id code title }
}`);

// ---- course -----------------------------------------------------------------------------
export const CourseQuery = graphql(`query Course($id: ID!) {
  course(id: $id) { id code title viewerCanManage studentCount instructors { id name } }
}`);

// ---- grades -----------------------------------------------------------------------------
export const GradeSheetQuery = graphql(
  `query GradeSheet($id: ID!) {
    course(id: $id) {
      id
      students { id name email }
      assessments { ...AssessmentFields grades { ...GradeFields } }
      standings { ...StandingFields }
    }
  }`,
  [AssessmentFields, GradeFields, StandingFields],
);
export const MyGradesQuery = graphql(
  `query MyGrades($id: ID!) {
    course(id: $id) {
      id
      assessments { ...AssessmentFields myGrade { ...GradeFields } }
      myStanding { ...StandingFields }
    }
  }`,
  [AssessmentFields, GradeFields, StandingFields],
);
export const RecordGradeMutation = graphql(
  `mutation RecordGrade($assessmentId: ID!, $studentId: ID!, $score: Float!, $note: String) {
    recordGrade(assessmentId: $assessmentId, studentId: $studentId, score: $score, note: $note) {
      ...GradeFields
      assessment { id course { id } }
    }
  }`,
  [GradeFields],
);
export const DeleteGradeMutation = graphql(`mutation DeleteGrade($id: ID!) {
  deleteGrade(id: $id) { id student { id } assessment { id course { id } } }
}`);
export const CreateAssessmentMutation = graphql(
  `mutation CreateAssessment($courseId: ID!, $title: String!, $kind: AssessmentKind!, $maxScore: Float!, $weight: Float) {
    createAssessment(courseId: $courseId, title: $title, kind: $kind, maxScore: $maxScore, weight: $weight) {
      ...AssessmentFields grades { ...GradeFields }
    }
  }`,
  [AssessmentFields, GradeFields],
);

export const UpdateAssessmentMutation = graphql(
  `mutation UpdateAssessment($id: ID!, $title: String, $kind: AssessmentKind, $maxScore: Float, $weight: Float) {
    updateAssessment(id: $id, title: $title, kind: $kind, maxScore: $maxScore, weight: $weight) { ...AssessmentFields }
  }`,
  [AssessmentFields],
);
export const DeleteAssessmentMutation = graphql(`mutation DeleteAssessment($id: ID!) {
  deleteAssessment(id: $id) { id course { id } }
}`);

// ---- statistics -------------------------------------------------------------------------
export const CourseStatsQuery = graphql(
  `query CourseStats($id: ID!) { course(id: $id) { id stats { ...CourseStatsFields } } }`,
  [CourseStatsFields],
);

// ---- attendance -------------------------------------------------------------------------
export const AttendanceSheetQuery = graphql(
  `query AttendanceSheet($id: ID!) {
    course(id: $id) {
      id
      students { id name email }
      sessions { ...SessionFields records { ...RecordFields } }
      attendanceTotals { ...TotalsFields }
    }
  }`,
  [SessionFields, RecordFields, TotalsFields],
);
export const MyAttendanceQuery = graphql(
  `query MyAttendance($id: ID!) {
    course(id: $id) {
      id
      sessions { ...SessionFields myRecord { ...RecordFields } }
      myAttendanceTotals { ...TotalsFields }
    }
  }`,
  [SessionFields, RecordFields, TotalsFields],
);
export const RecordAttendanceMutation = graphql(
  `mutation RecordAttendance($sessionId: ID!, $studentId: ID!, $status: AttendanceStatus!) {
    recordAttendance(sessionId: $sessionId, studentId: $studentId, status: $status) {
      ...RecordFields
      session { id course { id } }
    }
  }`,
  [RecordFields],
);
export const MarkAllPresentMutation = graphql(
  `mutation MarkAllPresent($sessionId: ID!) {
    markAllPresent(sessionId: $sessionId) { __typename id records { ...RecordFields } }
  }`,
  [RecordFields],
);
export const UpdateClassSessionMutation = graphql(
  `mutation UpdateClassSession($id: ID!, $title: String, $startsAt: DateTime) {
    updateClassSession(id: $id, title: $title, startsAt: $startsAt) { ...SessionFields }
  }`,
  [SessionFields],
);
export const CancelClassSessionMutation = graphql(
  `mutation CancelClassSession($id: ID!) { cancelClassSession(id: $id) { ...SessionFields } }`,
  [SessionFields],
);
export const CreateSessionMutation = graphql(
  `mutation CreateClassSession($courseId: ID!, $title: String!, $startsAt: DateTime!) {
    createClassSession(courseId: $courseId, title: $title, startsAt: $startsAt) {
      ...SessionFields records { ...RecordFields }
    }
  }`,
  [SessionFields, RecordFields],
);

// ---- polls ------------------------------------------------------------------------------
export const PollsQuery = graphql(
  `query Polls($id: ID!) { course(id: $id) { id viewerCanManage polls { ...PollFields } } }`,
  [PollFields],
);
export const OpenPollMutation = graphql(
  `mutation OpenPoll($courseId: ID!, $question: String!, $options: [String!]!, $closesAt: DateTime) {
    openPoll(courseId: $courseId, question: $question, options: $options, closesAt: $closesAt) { ...PollFields }
  }`,
  [PollFields],
);
export const CastVoteMutation = graphql(
  `mutation CastVote($pollId: ID!, $optionId: ID!) { castVote(pollId: $pollId, optionId: $optionId) { ...PollFields } }`,
  [PollFields],
);
export const ClosePollMutation = graphql(`mutation ClosePoll($id: ID!) { closePoll(id: $id) { ...PollFields } }`, [
  PollFields,
]);

// ---- feed -------------------------------------------------------------------------------
export const FEED_PAGE_SIZE = 20;
export const FeedQuery = graphql(
  `query Feed($id: ID!, $first: Int!, $after: String) {
    course(id: $id) {
      id viewerCanManage
      posts(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { __typename cursor node { ...PostFields } }
      }
    }
  }`,
  [PostFields],
);
export const CreatePostMutation = graphql(
  `mutation CreatePost($courseId: ID!, $body: String!, $announcement: Boolean) {
    createPost(courseId: $courseId, body: $body, announcement: $announcement) { ...PostFields }
  }`,
  [PostFields],
);
export const CreateCommentMutation = graphql(
  `mutation CreateComment($postId: ID!, $body: String!) {
    createComment(postId: $postId, body: $body) { ...CommentFields post { id commentCount } }
  }`,
  [CommentFields],
);

export const UpdatePostMutation = graphql(
  `mutation UpdatePost($id: ID!, $body: String!) { updatePost(id: $id, body: $body) { id body } }`,
);
export const DeletePostMutation = graphql(`mutation DeletePost($id: ID!) { deletePost(id: $id) { id } }`);
export const UpdateCommentMutation = graphql(
  `mutation UpdateComment($id: ID!, $body: String!) { updateComment(id: $id, body: $body) { id body } }`,
);
export const DeleteCommentMutation = graphql(
  `mutation DeleteComment($id: ID!) { deleteComment(id: $id) { id post { id commentCount } } }`,
);

// ---- notifications ----------------------------------------------------------------------
export const NOTIFICATIONS_PAGE_SIZE = 20;
export const NotificationsQuery = graphql(
  `query Notifications($first: Int!, $after: String) {
    notifications(first: $first, after: $after) {
      unreadCount
      pageInfo { hasNextPage endCursor }
      edges { __typename cursor node { ...NotificationFields } }
    }
  }`,
  [NotificationFields],
);
export const MarkNotificationReadMutation = graphql(
  `mutation MarkNotificationRead($id: ID!) { markNotificationRead(id: $id) { ...NotificationFields } }`,
  [NotificationFields],
);
export const MarkAllNotificationsReadMutation = graphql(
  `mutation MarkAllNotificationsRead { markAllNotificationsRead }`,
);

// ---- chat, presence, typing ---------------------------------------------------------------
export const MessageFields = graphql(
  `fragment MessageFields on Message {
    __typename id body clientMessageId conversationId createdAt editedAt author { id name }
  }`,
);
export type Message = ResultOf<typeof MessageFields>;
export const ConversationFields = graphql(
  `fragment ConversationFields on Conversation {
    __typename id kind unreadCount participants { id name role }
  }`,
);
export type Conversation = ResultOf<typeof ConversationFields>;
/** How many of a conversation's latest messages the chat shows (the list live messages join). */
export const MESSAGES_PAGE_SIZE = 50;
export const ChatQuery = graphql(
  `query Chat($courseId: ID!, $staff: Boolean!) {
    conversations(courseId: $courseId) { ...ConversationFields }
    course(id: $courseId) { id instructors { id name } students @include(if: $staff) { id name } }
  }`,
  [ConversationFields],
);
/** The course page's Chat tab badge: unread messages over the viewer's conversations there. */
export const ChatUnreadQuery = graphql(
  `query ChatUnread($courseId: ID!) { conversations(courseId: $courseId) { id unreadCount } }`,
);
export const ConversationMessagesQuery = graphql(
  `query ConversationMessages($id: ID!, $last: Int!) {
    conversation(id: $id) { id messages(last: $last) { ...MessageFields } }
  }`,
  [MessageFields],
);
/** A page of older messages: the `last` before the message `before` (a loaded list's first). */
export const EarlierMessagesQuery = graphql(
  `query EarlierMessages($id: ID!, $before: ID!, $last: Int!) {
    conversation(id: $id) { id messages(before: $before, last: $last) { ...MessageFields } }
  }`,
  [MessageFields],
);
export const StartDirectConversationMutation = graphql(
  `mutation StartDirectConversation($courseId: ID!, $userId: ID!) {
    startDirectConversation(courseId: $courseId, userId: $userId) { ...ConversationFields }
  }`,
  [ConversationFields],
);
export const SendMessageMutation = graphql(
  `mutation SendMessage($conversationId: ID!, $body: String!, $clientMessageId: String!) {
    sendMessage(conversationId: $conversationId, body: $body, clientMessageId: $clientMessageId) { ...MessageFields }
  }`,
  [MessageFields],
);
export const EditMessageMutation = graphql(
  `mutation EditMessage($id: ID!, $body: String!) { editMessage(id: $id, body: $body) { ...MessageFields } }`,
  [MessageFields],
);
export const DeleteMessageMutation = graphql(
  `mutation DeleteMessage($id: ID!) { deleteMessage(id: $id) { id conversationId } }`,
);
export const MarkConversationReadMutation = graphql(
  `mutation MarkConversationRead($id: ID!) { markConversationRead(id: $id) { id unreadCount } }`,
);
export const SetTypingMutation = graphql(
  `mutation SetTyping($conversationId: ID!) { setTyping(conversationId: $conversationId) }`,
);
export const PresenceEntryFields = graphql(
  `fragment PresenceEntryFields on PresenceEntry { where since user { id name } }`,
);
export type PresenceEntry = ResultOf<typeof PresenceEntryFields>;
export const PresenceChangedSubscription = graphql(
  `subscription PresenceChanged($courseId: ID!, $where: String, $hidden: Boolean, $conversationId: ID) {
    presenceChanged(courseId: $courseId, where: $where, hidden: $hidden, conversationId: $conversationId) {
      action entry { ...PresenceEntryFields } entries { ...PresenceEntryFields }
    }
  }`,
  [PresenceEntryFields],
);
export const TypingChangedSubscription = graphql(
  `subscription TypingChanged($conversationId: ID!) {
    typingChanged(conversationId: $conversationId) { conversationId typing user { id name } }
  }`,
);
