// Documents of the account pages: your sessions and password, the admin's user management and
// audit log, and a grade cell's history. Typed from schema.graphql by gql.tada (./graphql.ts).
import { graphql, type ResultOf } from './graphql';

export const SessionFields = graphql(
  `fragment SessionFields on Session { __typename id userAgent address createdAt lastSeenAt current active }`,
);
export type SessionInfo = ResultOf<typeof SessionFields>;

export const MySessionsQuery = graphql(`query MySessions { mySessions { ...SessionFields } }`, [SessionFields]);
export const RevokeSessionMutation = graphql(
  `mutation RevokeSession($id: ID!) { revokeSession(id: $id) { ...SessionFields } }`,
  [SessionFields],
);
export const SignOutMutation = graphql(`mutation SignOut { signOut }`);
export const SignOutEverywhereMutation = graphql(`mutation SignOutEverywhere { signOutEverywhere }`);
export const ChangePasswordMutation = graphql(
  `mutation ChangePassword($currentPassword: String!, $newPassword: String!) {
    changePassword(currentPassword: $currentPassword, newPassword: $newPassword)
  }`,
);

export const ManagedUserFields = graphql(
  `fragment ManagedUserFields on User { __typename id name email role active deactivatedAt }`,
);
export type ManagedUser = ResultOf<typeof ManagedUserFields>;
export const ManagedUsersQuery = graphql(`query ManagedUsers { users { ...ManagedUserFields } }`, [ManagedUserFields]);
export const UpdateUserMutation = graphql(
  `mutation UpdateUser($id: ID!, $name: String, $email: String, $role: Role) {
    updateUser(id: $id, name: $name, email: $email, role: $role) { ...ManagedUserFields }
  }`,
  [ManagedUserFields],
);
export const DeactivateUserMutation = graphql(
  `mutation DeactivateUser($id: ID!) { deactivateUser(id: $id) { ...ManagedUserFields } }`,
  [ManagedUserFields],
);
export const ReactivateUserMutation = graphql(
  `mutation ReactivateUser($id: ID!) { reactivateUser(id: $id) { ...ManagedUserFields } }`,
  [ManagedUserFields],
);
export const ResetPasswordMutation = graphql(
  `mutation ResetPassword($id: ID!) { resetPassword(id: $id) { temporaryPassword user { ...ManagedUserFields } } }`,
  [ManagedUserFields],
);

export const AUDIT_PAGE_SIZE = 25;
export const AuditLogQuery = graphql(
  `query AuditLog($userId: ID, $first: Int, $after: String) {
    auditLog(userId: $userId, first: $first, after: $after) {
      edges { cursor node { __typename id at action details actor { id name } targetUser { id name email } course { id code } } }
      pageInfo { hasNextPage endCursor }
    }
  }`,
);
export type AuditEntry = ResultOf<typeof AuditLogQuery>['auditLog']['edges'][number]['node'];

export const GradeHistoryQuery = graphql(
  `query GradeHistory($assessmentId: ID!, $studentId: ID!) {
    gradeHistory(assessmentId: $assessmentId, studentId: $studentId) {
      __typename id action oldScore newScore oldNote newNote changedAt changedBy { id name }
    }
  }`,
);
