import { createGraphQLError } from 'graphql-yoga';

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'TOO_MANY_REQUESTS'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'IDEMPOTENCY_KEY_IN_USE';

export function userError(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
  return createGraphQLError(message, { extensions: { code, ...extra } });
}

export const unauthenticated = (message = 'Sign in first: send "Authorization: Bearer <token>"') =>
  userError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do that') => userError('FORBIDDEN', message);
export const notFound = (what: string) => userError('NOT_FOUND', `${what} not found`);
export const badInput = (message: string, field?: string) =>
  userError('BAD_USER_INPUT', message, field ? { field } : {});
