// Hand-written shapes of what the app's documents select (see ./documents.ts).
// The API contract is schema.graphql at the repo root.
export type Role = 'STUDENT' | 'INSTRUCTOR' | 'ADMIN';
export type AttendanceStatus = 'PRESENT' | 'LATE' | 'ABSENT' | 'EXCUSED';
export type AssessmentKind = 'EXAM' | 'QUIZ' | 'ASSIGNMENT' | 'MERIT';

export type User = { __typename?: 'User'; id: string; name: string; email: string; role: Role };
export type AuthPayload = { token: string; expiresAt: string; user: User };

export type Standing = {
  id: string;
  average: number | null;
  graded: number;
  total: number;
  student: { id: string };
};
export type AttendanceTotals = {
  id: string;
  present: number;
  late: number;
  absent: number;
  excused: number;
  recorded: number;
  sessions: number;
  student: { id: string };
};
export type Grade = {
  id: string;
  score: number;
  note: string | null;
  updatedAt: string;
  student: { id: string };
  assessment: { id: string };
};
export type Assessment = {
  id: string;
  title: string;
  kind: AssessmentKind;
  maxScore: number;
  weight: number;
  dueAt: string | null;
};
export type ClassSession = { id: string; title: string; startsAt: string };
export type AttendanceRecord = {
  id: string;
  status: AttendanceStatus;
  updatedAt: string;
  student: { id: string };
  session: { id: string };
};
export type PollOption = { id: string; label: string; votes: number };
export type Poll = {
  id: string;
  question: string;
  status: 'OPEN' | 'CLOSED';
  closesAt: string | null;
  createdAt: string;
  totalVotes: number;
  myVote: string | null;
  options: PollOption[];
};
export type Comment = { id: string; body: string; createdAt: string; author: { id: string; name: string } };
export type Post = {
  id: string;
  body: string;
  announcement: boolean;
  createdAt: string;
  commentCount: number;
  author: { id: string; name: string; role: Role };
  comments: Comment[];
};
export type Notification = {
  id: string;
  kind: 'GRADE_RECORDED' | 'POLL_OPENED' | 'ANNOUNCEMENT';
  message: string;
  link: string | null;
  read: boolean;
  createdAt: string;
};
export type PageInfo = { hasNextPage: boolean; endCursor: string | null };
export type CourseSummary = {
  id: string;
  code: string;
  title: string;
  viewerCanManage: boolean;
  studentCount: number;
  instructors: { id: string; name: string }[];
  myStanding: Standing | null;
};
