import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import type { Context } from './context';
import { forbidden, unauthenticated } from './errors';

export const builder = new SchemaBuilder<{
  Context: Context;
  DefaultFieldNullability: false;
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    ID: { Input: string; Output: string };
  };
  AuthScopes: {
    signedIn: boolean;
    admin: boolean;
    /** Instructors and admins (course-independent actions such as listing users). */
    staff: boolean;
    courseMember: string;
    courseStaff: string;
    /** The viewer is this user. */
    self: string;
  };
}>({
  // scope-auth first, so every other plugin's fields are already guarded.
  plugins: [ScopeAuthPlugin, DataloaderPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) => ({
      signedIn: ctx.viewer !== null,
      admin: ctx.viewer?.role === 'ADMIN',
      staff: ctx.viewer?.role === 'ADMIN' || ctx.viewer?.role === 'INSTRUCTOR',
      courseMember: (courseId) => ctx.access.isMember(courseId),
      courseStaff: (courseId) => ctx.access.isStaff(courseId),
      self: (userId) => ctx.viewer?.id === userId,
    }),
    unauthorizedError: (_parent, ctx) => {
      if (ctx.viewer) return forbidden();
      if (ctx.authError === 'expired') return unauthenticated('Token expired: renew it or sign in again');
      return ctx.authError === 'invalid' ? unauthenticated('Invalid token: sign in again') : unauthenticated();
    },
  },
});

builder.queryType({});
builder.mutationType({});
